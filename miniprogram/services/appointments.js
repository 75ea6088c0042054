// Booking (预约到小时), my appointments, queue position, waitlist.
const api = require('../api/appointments');

module.exports = {
  slots: (serviceId, date, hallId) => api.getServicesByIdSlots(serviceId, { query: { date, hall_id: hallId } }),
  book: (slotId) => api.postAppointments({ body: { slot_id: slotId } }),
  list: () => api.getAppointments(),
  get: (appointmentId) => api.getAppointmentsById(appointmentId),
  cancel: (appointmentId) => api.postAppointmentsByIdCancel(appointmentId),
  queue: (appointmentId) => api.getAppointmentsByIdQueue(appointmentId),
  joinWaitlist: (slotId) => api.postSlotsByIdWaitlist(slotId),
  myWaitlist: () => api.getMeWaitlist(),
  acceptOffer: (entryId) => api.postWaitlistByIdAccept(entryId),
  leaveWaitlist: (entryId) => api.postWaitlistByIdLeave(entryId),
  bookingStatus: () => api.getMeBookingStatus(),
};
