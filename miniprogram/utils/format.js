// Display helpers. Times from the API are ISO 8601 with +08:00; we show Beijing time.

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

const CASE_STATUS = {
  submitted: { text: '已提交', theme: 'primary' },
  accepted: { text: '已受理', theme: 'primary' },
  in_review: { text: '审查中', theme: 'warning' },
  correction_requested: { text: '待补正', theme: 'danger' },
  approved: { text: '已准予', theme: 'success' },
  rejected: { text: '不予许可', theme: 'danger' },
  completed: { text: '已办结', theme: 'success' },
  withdrawn: { text: '已撤回', theme: 'default' },
};

const APPOINTMENT_STATUS = {
  pending: { text: '处理中', theme: 'default' },
  booked: { text: '已预约', theme: 'primary' },
  cancelled: { text: '已取消', theme: 'default' },
  checked_in: { text: '已签到', theme: 'success' },
  served: { text: '已办理', theme: 'success' },
  absent: { text: '过号', theme: 'warning' },
  no_show: { text: '未到', theme: 'danger' },
};

const WAITLIST_STATUS = {
  waiting: { text: '候补中', theme: 'primary' },
  offered: { text: '有空位，待确认', theme: 'success' },
  accepted: { text: '已转为预约', theme: 'success' },
  left: { text: '已退出', theme: 'default' },
  expired: { text: '已过期', theme: 'default' },
};

const PAYMENT_STATUS = {
  unpaid: { text: '待缴费', theme: 'warning' },
  paid: { text: '已缴费', theme: 'success' },
  closed: { text: '已关闭', theme: 'default' },
  refunding: { text: '退款中', theme: 'warning' },
  refunded: { text: '已退款', theme: 'default' },
};

function statusOf(table, status) {
  return table[status] || { text: status || '未知', theme: 'default' };
}

module.exports = {
  date, time, dateTime, money, nextDays, today, beijing,
  CASE_STATUS, APPOINTMENT_STATUS, WAITLIST_STATUS, PAYMENT_STATUS, statusOf,
};
