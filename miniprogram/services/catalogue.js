// The service catalogue (public): departments, halls, services.
const http = require('./request');

module.exports = {
  departments: () => http.get('/departments', { auth: false }),
  halls: () => http.get('/halls', { auth: false }),
  hall: (id) => http.get(`/halls/${encodeURIComponent(id)}`, { auth: false }),
  services: (query) => http.get('/services', { auth: false, query }),
  service: (id) => http.get(`/services/${encodeURIComponent(id)}`, { auth: false }),
};
