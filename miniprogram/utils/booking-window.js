// How far the booking day strip reaches. Slots are released RELEASE_DAYS ahead (the backend's
// default, appointments.release_days in backend/config.py; tests/test_contract.py keeps the two
// equal), so the strip covers today and the RELEASE_DAYS days after it until the server says
// otherwise: GET /services/{id}/slots answers last_release_date, the last day released for the
// service in the chosen hall, and the strip then ends on that day.
const RELEASE_DAYS = 7;
// A schedule releases at most 60 days ahead (the API's limit), so a strip never exceeds 61 days.
const MAX_DAYS = 61;

function dayNumber(ymd) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(ymd || ''));
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 86400000 : NaN;
}

// Days in the strip from `today` (YYYY-MM-DD) through `lastReleaseDate`; the default when the
// server names no day (or a day already past).
function stripLength(today, lastReleaseDate) {
  const n = dayNumber(lastReleaseDate) - dayNumber(today) + 1;
  if (!Number.isFinite(n) || n < 1) return RELEASE_DAYS + 1;
  return Math.min(n, MAX_DAYS);
}

module.exports = { RELEASE_DAYS, MAX_DAYS, stripLength };
