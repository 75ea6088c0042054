// Online applications (办件): apply, my cases, detail with timeline, resubmit, withdraw, rate.
const http = require('./request');
const api = require('../api/cases');

// The page keeps a checklist {materialKey: ready}; the API takes the form's fields and, apart,
// the keys of the materials provided (from the service guide).
// Uploaded files and held licences go apart too: {attachments: [{material_key, file_id}],
// licences: [{material_key, licence_id}]}, only when there are any.
function split(form, given) {
  const { materials, ...fields } = form || {};
  const provided = Object.keys(materials || {}).filter((k) => materials[k]);
  const out = { form: fields, materials: provided };
  if (given && given.attachments && given.attachments.length) out.attachments = given.attachments;
  if (given && given.licences && given.licences.length) out.licences = given.licences;
  return out;
}

module.exports = {
  // A new Idempotency-Key: the page takes one per tap of 提交 and sends it with that submission.
  submissionKey: http.idempotencyKey,
  // given: files and licences per material; onBehalfOf: the id of a grant someone gave this
  // resident (代办): the case is theirs. key: the submission's Idempotency-Key (one per tap).
  apply: (serviceId, form, given, onBehalfOf, key) => api.postApplications({
    body: { service_id: serviceId, ...split(form, given), ...(onBehalfOf ? { on_behalf_of: onBehalfOf } : {}) },
    headers: { 'Idempotency-Key': key || http.idempotencyKey() },
  }),
  list: (cursor) => api.getApplications({ query: { cursor } }),
  get: (caseId) => api.getApplicationsById(caseId),
  resubmit: (caseId, form, given) => api.postApplicationsByIdResubmit(caseId, { body: split(form, given) }),
  withdraw: (caseId) => api.postApplicationsByIdWithdraw(caseId),
  // A material promised under 容缺受理, brought later as files or a licence.
  supply: (caseId, given) => {
    const { form, materials, ...files } = split({}, given);
    return api.postApplicationsByIdMaterials(caseId, { body: files });
  },
  rate: (caseId, score, comment) => api.postApplicationsByIdRating(caseId,
    { body: comment ? { score, comment } : { score } }),
};
