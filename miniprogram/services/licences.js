// E-licences (电子证照): the resident's wallet, fetched from the e-licence library on demand
// (each fetch is recorded with its purpose), the PDF and the verification QR.
const http = require('./request');

const id = encodeURIComponent;

const STATUS = {
  valid: { text: '有效', theme: 'success' },
  revoked: { text: '已撤销', theme: 'danger' },
  expired: { text: '已过期', theme: 'warning' },
};

function statusOf(status) {
  return STATUS[status] || { text: status || '未知', theme: 'default' };
}

// The valid licence of each type, for offering one instead of an upload.
function validByType(items) {
  const out = {};
  (items || []).forEach((l) => {
    if (l.status === 'valid' && !out[l.type]) out[l.type] = l;
  });
  return out;
}

async function openPdf(licenceId) {
  const filePath = await http.download(`/me/licences/${id(licenceId)}/pdf`);
  await new Promise((resolve, reject) => {
    wx.openDocument({ filePath, fileType: 'pdf', showMenu: true, success: resolve,
      fail: () => reject(new Error('无法打开证照文件，请稍后重试')) });
  });
  return filePath;
}

module.exports = {
  list: () => http.get('/me/licences'),
  get: (licenceId) => http.get(`/me/licences/${id(licenceId)}`),
  // purpose: 'wallet' (查看证照) or 'application' (申办事项, with its service id)
  refresh: (purpose, serviceId) => http.post('/me/licences/refresh',
    serviceId ? { purpose, service_id: serviceId } : { purpose }),
  fetches: () => http.get('/me/licences/fetches'),
  openPdf,
  statusOf,
  validByType,
};
