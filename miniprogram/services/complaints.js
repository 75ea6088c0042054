// 12345 / 找茬: complaints, requests and suggestions, tracked to an answer.
const api = require('../api/complaints');

module.exports = {
  submit: (body) => api.postComplaints({ body }),
  list: (cursor) => api.getComplaints({ query: { cursor } }),
  get: (complaintId) => api.getComplaintsById(complaintId),
  feedback: (complaintId, satisfied, comment) => api.postComplaintsByIdFeedback(complaintId,
    { body: comment ? { satisfied, comment } : { satisfied } }),
};
