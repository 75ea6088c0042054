// Inbox (站内信) and subscribe-message consent.
const api = require('../api/notify');

function requestSubscribe(tmplIds) {
  return new Promise((resolve, reject) => {
    wx.requestSubscribeMessage({
      tmplIds,
      success: resolve,
      fail: (err) => reject(err),
    });
  });
}

// Must be called from a tap handler: WeChat only shows the consent sheet after a user tap.
// Asks for at most 5 templates (WeChat's limit per call) and records the accepted keys.
async function subscribe(templates) {
  const batch = templates.slice(0, 5);
  if (!batch.length) return { accepted: [] };
  const res = await requestSubscribe(batch.map((t) => t.template_id));
  const accepted = batch.filter((t) => res[t.template_id] === 'accept').map((t) => t.key);
  if (accepted.length) await api.postMeSubscriptions({ body: { accepted } });
  return { accepted };
}

module.exports = {
  inbox: (cursor) => api.getMeInbox({ query: { cursor } }),
  markRead: (messageId) => api.postMeInboxByIdRead(messageId),
  subscriptions: () => api.getMeSubscriptions(),
  subscribe,
};
