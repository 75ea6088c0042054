// Booking (预约到小时), my appointments, queue position, waitlist.
const http = require('./request');

const id = encodeURIComponent;

module.exports = {
  slots: (serviceId, date, hallId) => http.get(`/services/${id(serviceId)}/slots`, { auth: false, query: { date, hall_id: hallId } }),
  book: (slotId) => http.post('/appointments', { slot_id: slotId }),
  list: () => http.get('/appointments'),
  get: (appointmentId) => http.get(`/appointments/${id(appointmentId)}`),
  cancel: (appointmentId) => http.post(`/appointments/${id(appointmentId)}/cancel`),
  queue: (appointmentId) => http.get(`/appointments/${id(appointmentId)}/queue`),
  joinWaitlist: (slotId) => http.post(`/slots/${id(slotId)}/waitlist`),
  myWaitlist: () => http.get('/me/waitlist'),
  acceptOffer: (entryId) => http.post(`/waitlist/${id(entryId)}/accept`),
  leaveWaitlist: (entryId) => http.post(`/waitlist/${id(entryId)}/leave`),
  bookingStatus: () => http.get('/me/booking-status'),
};
