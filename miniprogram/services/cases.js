// Online applications (办件): apply, my cases, detail with timeline, resubmit, withdraw, rate.
const http = require('./request');

const id = encodeURIComponent;

module.exports = {
  apply: (serviceId, form) => http.post('/applications', { service_id: serviceId, form }),
  list: (cursor) => http.get('/applications', { query: { cursor } }),
  get: (caseId) => http.get(`/applications/${id(caseId)}`),
  resubmit: (caseId, form) => http.post(`/applications/${id(caseId)}/resubmit`, { form }),
  withdraw: (caseId) => http.post(`/applications/${id(caseId)}/withdraw`),
  rate: (caseId, score, comment) => http.post(`/applications/${id(caseId)}/rating`,
    comment ? { score, comment } : { score }),
};
