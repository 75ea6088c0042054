// 帮办代办: the grants I gave (revocable at once) and the ones given to me (to file in the
// grantor's name).
const agency = require('../../../services/agency');
const catalogue = require('../../../services/catalogue');
const auth = require('../../../services/auth');
const { date } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

function row(g) {
  return {
    ...g,
    until: date(g.expires_at),
    what: g.services && g.services.length ? g.services.map((s) => s.name).join('、') : '全部事项',
    who: g.grantee.type === 'staff' ? `帮办员 ${g.grantee.name_masked}（工号 ${g.grantee.username}）` : `${g.grantee.name_masked}`,
  };
}

Page(withBase({
  data: { given: [], received: [], confirming: '', choosing: '', choices: [], busy: false },
  onShow() {
    this.reload();
  },
  async reload() {
    if (!auth.isLoggedIn()) {
      this.setData({ error: '登录后管理您的代办授权', needLogin: true });
      return;
    }
    const res = await this.runLoad(() => Promise.all([agency.given(), agency.received()]));
    if (res) this.setData({ given: res[0].items.map(row), received: res[1].items.map(row) });
  },
  create() {
    wx.navigateTo({ url: '/pages/agency/new/index' });
  },
  showCode() {
    wx.navigateTo({ url: '/pages/agency/code/index' });
  },
  askRevoke(e) {
    this.setData({ confirming: e.currentTarget.dataset.id });
  },
  keep() {
    this.setData({ confirming: '' });
  },
  async doRevoke() {
    if (this.data.busy) return;
    this.setData({ busy: true });
    try {
      await agency.revoke(this.data.confirming);
      this.say('授权已撤销，立即生效');
      this.setData({ confirming: '' });
      await this.reload();
    } catch (e) {
      this.sayError(e);
    }
    this.setData({ busy: false });
  },
  // A grant for some services offers those; a grant for all offers the services that can be done online.
  async choose(e) {
    const g = this.data.received.find((x) => x.id === e.currentTarget.dataset.id);
    if (!g) return;
    let choices = g.services || [];
    if (!choices.length) {
      try {
        const all = await catalogue.services({});
        choices = (all.items || []).filter((s) => s.guide && s.guide.online).map((s) => ({ id: s.id, name: s.name }));
      } catch (err) {
        this.sayError(err);
        return;
      }
    }
    this.setData({ choosing: g.id, choices });
  },
  applyFor(e) {
    const g = this.data.received.find((x) => x.id === this.data.choosing);
    const grantor = encodeURIComponent((g && g.grantor && g.grantor.name_masked) || '');
    wx.navigateTo({ url: `/pages/case/apply/index?service_id=${e.currentTarget.dataset.id}&on_behalf_of=${this.data.choosing}&grantor=${grantor}` });
  },
}));
