// A published agreement (static text); the hotline in its contact section comes from the config.
const settings = require('../../../services/settings');
const { withBase } = require('../../../utils/page');

Page(withBase({
  data: { hotline: '' },
  onLoad() {
    this.setData({ hotline: settings.hotline() });
  },
}));
