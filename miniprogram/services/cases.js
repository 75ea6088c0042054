// Online applications (办件): apply, my cases, detail with timeline, resubmit, withdraw, rate.
const http = require('./request');

const id = encodeURIComponent;

// The page keeps a checklist {materialKey: ready}; the API takes the form's fields and, apart,
// the keys of the materials provided (from the service guide).
function split(form) {
  const { materials, ...fields } = form || {};
  const provided = Object.keys(materials || {}).filter((k) => materials[k]);
  return { form: fields, materials: provided };
}

module.exports = {
  // onBehalfOf: the id of a grant someone gave this resident (代办): the case is theirs.
  apply: (serviceId, form, onBehalfOf) => http.post('/applications', {
    service_id: serviceId, ...split(form), ...(onBehalfOf ? { on_behalf_of: onBehalfOf } : {}) }),
  list: (cursor) => http.get('/applications', { query: { cursor } }),
  get: (caseId) => http.get(`/applications/${id(caseId)}`),
  resubmit: (caseId, form) => http.post(`/applications/${id(caseId)}/resubmit`, split(form)),
  withdraw: (caseId) => http.post(`/applications/${id(caseId)}/withdraw`),
  rate: (caseId, score, comment) => http.post(`/applications/${id(caseId)}/rating`,
    comment ? { score, comment } : { score }),
};
