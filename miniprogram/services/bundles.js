// 一件事: life events (one form, one set of materials) and the bundles a submission creates.
const http = require('./request');

const id = encodeURIComponent;

module.exports = {
  // A new Idempotency-Key: the page takes one per tap of 提交 and sends it with that submission.
  submissionKey: http.idempotencyKey,
  events: () => http.get('/life-events', { auth: false }),
  event: (eventId) => http.get(`/life-events/${id(eventId)}`, { auth: false }),
  // key: the submission's Idempotency-Key (one per tap of 提交).
  apply: (eventId, form, materials, key) => http.post(`/life-events/${id(eventId)}/applications`, { form, materials },
    { headers: { 'Idempotency-Key': key || http.idempotencyKey() } }),
  list: (cursor) => http.get('/bundles', { query: { cursor } }),
  get: (bundleId) => http.get(`/bundles/${id(bundleId)}`),
};
