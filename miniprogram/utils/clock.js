// The server's clock, not the phone's: "today", the booking day strip and deadlines follow
// GET /time (the sandbox clock in sandbox mode). The offset between the server and this device is
// measured through the request service and kept; until it is known (or when the server cannot be
// reached) the device's own time stands in. Durations (timers) stay on the device's clock.
const { nextDays } = require('./format');

let offsetMs = 0;
let syncedAt = 0;
let pending = null;

// Measure the offset again unless it was measured less than `maxAgeMs` ago (0: always).
// Never rejects: a failure keeps the offset already known.
function sync({ maxAgeMs = 0 } = {}) {
  if (pending) return pending;
  if (syncedAt && Date.now() - syncedAt < maxAgeMs) return Promise.resolve();
  const http = require('../services/request');
  const sent = Date.now();
  pending = http.get('/time', { auth: false })
    .then((body) => {
      const server = Date.parse(body && body.now);
      if (Number.isNaN(server)) return;
      // The server read its clock about half-way through the round trip; it answers to the second.
      offsetMs = server + 500 - (sent + Date.now()) / 2;
      syncedAt = Date.now();
    })
    .catch(() => {})
    .then(() => {
      pending = null;
    });
  return pending;
}

// The server's time now, in milliseconds since the epoch.
function now() {
  return Date.now() + offsetMs;
}

// The server's today (YYYY-MM-DD, Beijing) and the next days from it, for day strips.
function days(count) {
  return nextDays(count, now());
}

function today() {
  return days(1)[0].value;
}

// For tests: forget what was measured.
function reset() {
  offsetMs = 0;
  syncedAt = 0;
  pending = null;
}

module.exports = { sync, now, days, today, reset };
