// 我的数据: everything the centre holds about the resident, a copy to keep (a ZIP with the
// resident's files, sent to a chat from where it is saved), and cancelling the account (注销).
const api = require('../api/me');
const session = require('./session');

// The sections without their records: what the page lists.
async function overview() {
  const doc = await api.getMeData();
  return {
    generatedAt: doc.generated_at,
    sections: doc.sections.map((s) => ({
      key: s.key, title: s.title, count: s.count, kept: s.kept, onCancel: s.on_cancel,
    })),
    kept: doc.sections.filter((s) => s.kept).map((s) => s.title),
    deleted: doc.sections.filter((s) => !s.kept).map((s) => s.title),
    json: JSON.stringify(doc, null, 2),
  };
}

function fileName() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `我的数据-${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}.zip`;
}

// Download the ZIP and hand it to WeChat's "send file" sheet (to 文件传输助手 or a chat, where it
// can be saved or opened on a computer); wx.openDocument opens no ZIP.
async function exportArchive() {
  const filePath = await api.getMeDataArchive();
  await new Promise((resolve, reject) => {
    wx.shareFileMessage({
      filePath,
      fileName: fileName(),
      success: resolve,
      fail: (err) => reject(new Error(/cancel/.test((err && err.errMsg) || '')
        ? '已取消发送' : '当前微信版本不能发送文件，请改用“复制数据”')),
    });
  });
  return filePath;
}

function cancelCheck() {
  return api.getMeCancel();
}

// Cancel the account; the tokens of this phone go too (the server has ended every session).
async function cancelAccount() {
  const result = await api.postMeCancel({ body: { confirm: true } });
  session.clear();
  return result;
}

module.exports = { overview, exportArchive, cancelCheck, cancelAccount };
