// 帮办代办: the grants a resident gives and receives, and the dynamic identity code (办事码).
const http = require('./request');

const id = encodeURIComponent;

module.exports = {
  grant: (body) => http.post('/me/authorizations', body),
  given: () => http.get('/me/authorizations'),
  received: () => http.get('/me/authorizations/received'),
  revoke: (grantId) => http.post(`/me/authorizations/${id(grantId)}/revoke`),
  identityCode: () => http.get('/me/identity-code'),
};
