// 帮办代办: the grants a resident gives and receives, and the dynamic identity code (办事码).
const api = require('../api/authorizations');

module.exports = {
  grant: (body) => api.postMeAuthorizations({ body }),
  given: () => api.getMeAuthorizations(),
  received: () => api.getMeAuthorizationsReceived(),
  revoke: (grantId) => api.postMeAuthorizationsByIdRevoke(grantId),
  identityCode: () => api.getMeIdentityCode(),
};
