// E-licences (电子证照): the resident's wallet, fetched from the e-licence library on demand
// (each fetch is recorded with its purpose), the PDF and the verification QR.
const api = require('../api/licences');
const authorizations = require('../api/authorizations');
const { STATUS_LABELS } = require('../utils/status-labels');

const THEME = { valid: 'success', revoked: 'danger', expired: 'warning' };

function statusOf(status) {
  return { text: STATUS_LABELS.licence[status] || status || '未知', theme: THEME[status] || 'default' };
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
  const filePath = await api.getMeLicencesByIdPdf(licenceId);
  await new Promise((resolve, reject) => {
    wx.openDocument({ filePath, fileType: 'pdf', showMenu: true, success: resolve,
      fail: () => reject(new Error('无法打开证照文件，请稍后重试')) });
  });
  return filePath;
}

module.exports = {
  list: () => api.getMeLicences(),
  get: (licenceId) => api.getMeLicencesById(licenceId),
  // purpose: 'wallet' (查看证照) or 'application' (申办事项, with its service id)
  refresh: (purpose, serviceId) => api.postMeLicencesRefresh(
    { body: serviceId ? { purpose, service_id: serviceId } : { purpose } }),
  fetches: () => api.getMeLicencesFetches(),
  // An agent filing under a grant: the grantor's valid licences (only under an active grant).
  ofGrantor: (grantId) => authorizations.getMeAuthorizationsReceivedByIdLicences(grantId),
  openPdf,
  statusOf,
  validByType,
};
