// Loading, error (with retry / login) and empty states, shared by every page.
Component({
  options: { multipleSlots: true },
  properties: {
    loading: { type: Boolean, value: false },
    error: { type: String, value: '' },
    needLogin: { type: Boolean, value: false },
    empty: { type: Boolean, value: false },
    emptyText: { type: String, value: '暂无内容' },
    loadingText: { type: String, value: '加载中…' },
  },
  methods: {
    onRetry() {
      this.triggerEvent('retry');
    },
    onLogin() {
      this.triggerEvent('login');
    },
  },
});
