// 12345 / 找茬: complaints, requests and suggestions, tracked to an answer.
const http = require('./request');

const id = encodeURIComponent;

module.exports = {
  submit: (body) => http.post('/complaints', body),
  list: (cursor) => http.get('/complaints', { query: { cursor } }),
  get: (complaintId) => http.get(`/complaints/${id(complaintId)}`),
  feedback: (complaintId, satisfied, comment) => http.post(`/complaints/${id(complaintId)}/feedback`,
    comment ? { satisfied, comment } : { satisfied }),
};
