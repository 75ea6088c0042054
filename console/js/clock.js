// The server's clock, not the browser's: "today", default dates and the current time all come from
// GET /api/v1/time (the sandbox clock in sandbox mode). The offset between the server and this
// browser is measured once per page visit and kept; until then the browser's time stands in.
// Elapsed time (idle timers, request ids) stays on the browser's own clock.

const BEIJING_MS = 8 * 3600 * 1000;
let offsetMs = 0;
let pending = null;

/** Measure the offset to the server's clock (one request; a failure keeps the last offset). */
export function syncClock() {
  if (pending) return pending;
  pending = (async () => {
    try {
      const sent = Date.now();
      const resp = await fetch('/api/v1/time', { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (!resp.ok) return;
      const body = await resp.json();
      const server = Date.parse(body.now);
      if (Number.isNaN(server)) return;
      // The server read its clock about half-way through the round trip; it answers to the second.
      offsetMs = server + 500 - (sent + Date.now()) / 2;
    } catch {
      // offline or the server is restarting: keep the offset we had
    } finally {
      pending = null;
    }
  })();
  return pending;
}

/** The server's time now, as milliseconds since the epoch. */
export function serverNow() {
  return Date.now() + offsetMs;
}

/** The server's today in Beijing time, YYYY-MM-DD (optionally shifted by days). */
export function today(offsetDays = 0) {
  return new Date(serverNow() + BEIJING_MS + offsetDays * 86400 * 1000).toISOString().slice(0, 10);
}
