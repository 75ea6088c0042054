// Display helpers. Times from the API are ISO 8601 with +08:00; we show Beijing time.

const { STATUS_LABELS } = require('./status-labels');

function pad(n) {
  return n < 10 ? `0${n}` : `${n}`;
}

// Parse an ISO string into Beijing wall-clock parts without relying on the device's zone.
function beijing(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  const d = new Date(t + 8 * 3600 * 1000);
  return {
    y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate(),
    hh: d.getUTCHours(), mm: d.getUTCMinutes(), ms: t,
  };
}

function date(iso) {
  const p = beijing(iso);
  return p ? `${p.y}-${pad(p.m)}-${pad(p.d)}` : '';
}

function time(iso) {
  const p = beijing(iso);
  return p ? `${pad(p.hh)}:${pad(p.mm)}` : '';
}

function dateTime(iso) {
  const p = beijing(iso);
  return p ? `${p.y}-${pad(p.m)}-${pad(p.d)} ${pad(p.hh)}:${pad(p.mm)}` : '';
}

function money(fen) {
  const n = Number(fen) || 0;
  return `¥${(n / 100).toFixed(2)}`;
}

// Today's date (YYYY-MM-DD) in Beijing, plus the next `count` days.
function nextDays(count, now = Date.now()) {
  const names = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];
  const out = [];
  for (let i = 0; i < count; i += 1) {
    const d = new Date(now + 8 * 3600 * 1000 + i * 86400 * 1000);
    const value = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    out.push({ value, label: `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
      week: i === 0 ? '今天' : i === 1 ? '明天' : names[d.getUTCDay()] });
  }
  return out;
}

function today(now = Date.now()) {
  return nextDays(1, now)[0].value;
}

// Status labels come from backend/core/labels.py (generated); each status gets a tag colour here.
const THEMES = {
  case: {
    submitted: 'primary', accepted: 'primary', in_review: 'warning', correction_requested: 'danger',
    approved: 'success', rejected: 'danger', completed: 'success', withdrawn: 'default',
  },
  appointment: {
    pending: 'default', booked: 'primary', checked_in: 'success', served: 'success',
    absent: 'warning', no_show: 'danger', cancelled: 'default', abandoned: 'default',
  },
  waitlist: { waiting: 'primary', offered: 'success', accepted: 'success', left: 'default', expired: 'default' },
  payment: { unpaid: 'warning', paid: 'success', refunding: 'warning', refunded: 'default', closed: 'default' },
  complaint: { received: 'primary', assigned: 'warning', replied: 'success', closed: 'default' },
  bundle: {
    submitted: 'primary', in_progress: 'warning', correction_requested: 'danger', completed: 'success',
    partly_completed: 'warning', closed: 'default', withdrawn: 'default',
  },
  grant: { active: 'success', revoked: 'default', expired: 'default' },
};

// { status: { text, theme } } for one kind of thing.
function tagTable(kind) {
  const out = {};
  Object.keys(STATUS_LABELS[kind]).forEach((status) => {
    out[status] = { text: STATUS_LABELS[kind][status], theme: THEMES[kind][status] || 'default' };
  });
  return out;
}

const CASE_STATUS = tagTable('case');
const APPOINTMENT_STATUS = tagTable('appointment');
const WAITLIST_STATUS = tagTable('waitlist');
const PAYMENT_STATUS = tagTable('payment');
const COMPLAINT_STATUS = tagTable('complaint');
const BUNDLE_STATUS = tagTable('bundle');
const GRANT_STATUS = tagTable('grant');
// A refused case's outcome in words: { not_accepted: '不予受理', not_approved: '不予批准' }.
const CASE_OUTCOME = STATUS_LABELS.case_outcome;

function statusOf(table, status) {
  return table[status] || { text: status || '未知', theme: 'default' };
}

module.exports = {
  date, time, dateTime, money, nextDays, today, beijing,
  CASE_STATUS, APPOINTMENT_STATUS, WAITLIST_STATUS, PAYMENT_STATUS, COMPLAINT_STATUS, BUNDLE_STATUS, GRANT_STATUS,
  CASE_OUTCOME, statusOf,
};
