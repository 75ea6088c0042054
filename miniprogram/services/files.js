// Materials (材料): pick photos or files on the phone and upload them, one request per file.
// The server decides the type from the content (JPG, PNG or PDF) and refuses files over 10 MB;
// the size is checked here first so nobody waits for an upload that cannot succeed.
const api = require('../api/files');
const privacy = require('../utils/privacy');

const MAX_BYTES = 10 * 1024 * 1024;
const EXTENSIONS = ['pdf', 'jpg', 'jpeg', 'png'];

// wx.chooseMedia (camera or album, images only) → [{path, name, size}]
function chooseImages(count = 9) {
  return new Promise((resolve, reject) => {
    wx.chooseMedia({
      count,
      mediaType: ['image'],
      sourceType: ['album', 'camera'],
      sizeType: ['compressed'],
      success: (res) => resolve((res.tempFiles || []).map((f, i) => ({
        path: f.tempFilePath, size: f.size, name: `照片${i + 1}.jpg`,
      }))),
      fail: (err) => {
        if (/cancel/i.test((err && err.errMsg) || '')) resolve([]);
        else reject(new Error(privacy.refused(err) ? privacy.refusedMessage('选择照片') : '无法选择照片，请稍后重试'));
      },
    });
  });
}

// wx.chooseMessageFile (a PDF or a picture from a chat) → [{path, name, size}]
function chooseFiles(count = 5) {
  return new Promise((resolve, reject) => {
    wx.chooseMessageFile({
      count,
      type: 'file',
      extension: EXTENSIONS,
      success: (res) => resolve((res.tempFiles || []).map((f) => ({ path: f.path, size: f.size, name: f.name }))),
      fail: (err) => {
        if (/cancel/i.test((err && err.errMsg) || '')) resolve([]);
        else reject(new Error(privacy.refused(err) ? privacy.refusedMessage('选择文件') : '无法选择文件，请稍后重试'));
      },
    });
  });
}

function tooBig(file) {
  return typeof file.size === 'number' && file.size > MAX_BYTES;
}

// Upload one picked file; resolves to {id, name, content_type, size_bytes, ...}.
function upload(file) {
  return api.postFiles(file.path, file.name ? { name: file.name } : {});
}

// A file of one's own, downloaded with the token: its thumbnail (images) or its content.
function thumbnail(id) {
  return api.getFilesByIdThumbnail(id);
}

function content(id) {
  return api.getFilesByIdContent(id);
}

module.exports = { chooseImages, chooseFiles, upload, thumbnail, content, tooBig, MAX_BYTES };
