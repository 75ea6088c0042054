// The service catalogue (public): departments, halls, services.
const api = require('../api/catalogue');

module.exports = {
  departments: () => api.getDepartments(),
  halls: () => api.getHalls(),
  hall: (id) => api.getHallsById(id),
  services: (query) => api.getServices({ query }),
  service: (id) => api.getServicesById(id),
};
