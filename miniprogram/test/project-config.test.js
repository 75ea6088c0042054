// The packer's settings: WeChat's packer (miniprogram-ci, DevTools) prunes unused files, TDesign's
// included, only when miniprogramRoot is "" (the project folder itself), and minifies JS, WXML and
// WXSS only when told to.
const config = require('../project.config.json');

describe('project.config.json', () => {
  test('packs from the project folder itself', () => {
    expect(config.miniprogramRoot).toBe('');
    expect(config.setting.ignoreUploadUnusedFiles).toBe(true);
  });

  test('minifies scripts, templates and styles', () => {
    expect(config.setting).toMatchObject({ minified: true, minifyWXML: true, minifyWXSS: true });
  });
});
