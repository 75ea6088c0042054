// 一件事: life events (one form, one set of materials) and the bundles a submission creates.
const http = require('./request');

const id = encodeURIComponent;

module.exports = {
  events: () => http.get('/life-events', { auth: false }),
  event: (eventId) => http.get(`/life-events/${id(eventId)}`, { auth: false }),
  apply: (eventId, form, materials) => http.post(`/life-events/${id(eventId)}/applications`, { form, materials }),
  list: (cursor) => http.get('/bundles', { query: { cursor } }),
  get: (bundleId) => http.get(`/bundles/${id(bundleId)}`),
};
