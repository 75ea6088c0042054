// 一件事: life events (one form, one set of materials) and the bundles a submission creates.
const http = require('./request');
const api = require('../api/bundles');

module.exports = {
  // A new Idempotency-Key: the page takes one per tap of 提交 and sends it with that submission.
  submissionKey: http.idempotencyKey,
  events: () => api.getLifeEvents(),
  event: (eventId) => api.getLifeEventsById(eventId),
  // key: the submission's Idempotency-Key (one per tap of 提交).
  apply: (eventId, form, materials, key) => api.postLifeEventsByIdApplications(eventId,
    { body: { form, materials }, headers: { 'Idempotency-Key': key || http.idempotencyKey() } }),
  list: (cursor) => api.getBundles({ query: { cursor } }),
  get: (bundleId) => api.getBundlesById(bundleId),
};
