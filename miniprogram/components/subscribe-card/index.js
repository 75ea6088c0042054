// Subscription consent: lists the templates the backend wants consent for and, on a tap
// (WeChat only shows the sheet after a user tap), asks for at most 5 of them at a time.
const notify = require('../../services/notify');
const { messageOf } = require('../../utils/errors');

Component({
  properties: {
    // Template keys relevant at this moment (e.g. after booking); empty = all listed.
    keys: { type: Array, value: [] },
    title: { type: String, value: '订阅办理提醒' },
  },
  data: { templates: [], pending: [], loaded: false, busy: false, result: '', error: '', buttonText: '订阅消息提醒' },
  lifetimes: {
    attached() {
      this.load();
    },
  },
  methods: {
    async load() {
      try {
        const res = await notify.subscriptions();
        const all = (res && res.templates) || [];
        const keys = this.data.keys || [];
        const templates = keys.length ? all.filter((t) => keys.indexOf(t.key) >= 0) : all;
        this.setData({ templates, pending: templates, loaded: true, error: '' });
      } catch (e) {
        // Not logged in or not available: the card simply stays hidden.
        this.setData({ loaded: true, templates: [], pending: [] });
      }
    },
    async onSubscribe() {
      if (this.data.busy || !this.data.pending.length) return;
      this.setData({ busy: true, error: '' });
      const batch = this.data.pending.slice(0, 5);
      try {
        const { accepted } = await notify.subscribe(batch);
        const pending = this.data.pending.slice(5);
        this.setData({
          pending,
          buttonText: '继续订阅其余提醒',
          result: accepted.length ? `已订阅 ${accepted.length} 项提醒` : '未订阅提醒，可在“我的”中随时开启',
        });
        this.triggerEvent('done', { accepted });
      } catch (e) {
        this.setData({ error: e && e.errMsg ? '订阅未成功，请稍后重试' : messageOf(e) });
      }
      this.setData({ busy: false });
    },
  },
});
