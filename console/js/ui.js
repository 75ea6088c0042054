// Small DOM helpers shared by every page. No innerHTML with data: text always goes in as text.

import { STATUS_LABELS } from './status-labels.js';

export const ROLE_NAMES = {
  clerk: '窗口受理',
  approver: '审批',
  hall_manager: '大厅管理',
  finance: '财务',
  supervisor: '监察',
  admin: '系统管理',
  hotline: '12345热线',
};

// Status labels, generated from backend/core/labels.py.
export const CASE_STATUS = STATUS_LABELS.case;
export const PAYMENT_STATUS = STATUS_LABELS.payment;
export const REFUND_STATUS = STATUS_LABELS.refund;
export const TICKET_STATUS = STATUS_LABELS.ticket;
export const APPT_STATUS = STATUS_LABELS.appointment;

export const WEEKDAYS = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日'];

/** h('button', {class: 'x', onclick: fn}, 'text', child) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden' || k === 'required') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let uid = 0;
export function nextId(prefix = 'f') {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A labelled form field. `control` is an input/select/textarea element. */
export function field(label, control, hint) {
  if (!control.id) control.id = nextId();
  return h('div', { class: 'field' },
    h('label', { for: control.id }, label),
    control,
    hint ? h('small', { class: 'hint' }, hint) : null);
}

// Dates and times are typed and shown in the product's own format (2026-12-08, 09:00, 24 hours),
// never the browser's locale (an en-US browser would show mm/dd/yyyy and AM/PM in a native
// date or time field). The value is the same string a native field gives.
const FORMATS = {
  date: { pattern: '\\d{4}-\\d{2}-\\d{2}', placeholder: '如 2026-12-08', maxlength: 10, title: '年-月-日，如 2026-12-08' },
  time: { pattern: '([01]\\d|2[0-3]):[0-5]\\d', placeholder: '如 09:00', maxlength: 5, title: '24 小时制，如 09:00' },
};

export function input(attrs = {}) {
  const format = FORMATS[attrs.type];
  if (!format) return h('input', { type: 'text', ...attrs });
  const { type, ...rest } = attrs;
  return h('input', { ...format, ...rest, type: 'text', inputmode: 'numeric', autocomplete: 'off',
    dataset: { ...(rest.dataset || {}), format: type } });
}

export function select(options, attrs = {}) {
  const el = h('select', attrs);
  for (const o of options) {
    const [value, label] = Array.isArray(o) ? o : [o.value, o.label];
    el.append(h('option', { value, selected: attrs.value !== undefined && String(attrs.value) === String(value) }, label));
  }
  return el;
}

export function button(label, onclick, attrs = {}) {
  return h('button', { type: 'button', onclick, ...attrs }, label);
}

/** A table: columns = [{label, render(row) -> node|string}] */
export function table(columns, rows, { empty = '暂无数据', caption, rowAttrs } = {}) {
  const t = h('table', { class: 'grid' });
  if (caption) t.append(h('caption', {}, caption));
  t.append(h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.label)))));
  const body = h('tbody');
  if (!rows.length) {
    body.append(h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, empty)));
  }
  for (const r of rows) {
    body.append(h('tr', rowAttrs ? rowAttrs(r) : {}, columns.map((c) => h('td', {}, c.render(r)))));
  }
  t.append(body);
  return t;
}

/** Show an error in the contract's shape: its Chinese message, and per-field reasons if any. */
export function errorBox(err) {
  const box = h('div', { class: 'alert error', role: 'alert' });
  const message = (err && err.message) || '操作失败，请重试';
  box.append(h('strong', {}, message));
  const details = (err && err.details) || {};
  const fields = details.fields || {};
  const keys = Object.keys(fields);
  if (keys.length) {
    box.append(h('ul', {}, keys.map((k) => h('li', {}, `${k}：${fields[k]}`))));
  }
  if (err && err.code === 'rate_limited' && details.reason === 'login_throttled') {
    box.append(h('p', {}, '这台电脑所在地址登录失败次数过多，需等待后再试；其他地址不受影响。如非本人操作，请联系管理员查看登录限制。'));
  } else if (details.remaining_attempts !== undefined) {
    box.append(h('p', {}, `再失败 ${details.remaining_attempts} 次，需等待一段时间后才能再试。`));
  }
  if (err && err.code) box.dataset.code = err.code;
  return box;
}

/** Put an error (or nothing) into a message slot. */
export function showError(slot, err) {
  clear(slot, err ? errorBox(err) : null);
}

export function notice(slot, text, kind = 'ok') {
  clear(slot, h('div', { class: `alert ${kind}`, role: 'status' }, text));
}

let toastTimer = null;
export function toast(text) {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = text;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 4000);
}

/** Run an async call with errors shown in `slot`. With a button (a person's action) the button is
 * busy meanwhile and the slot starts empty; without one (a reload) messages already there stay,
 * only a previous error is dropped once the call succeeds. */
export async function act(slot, fn, btn) {
  if (btn) btn.disabled = true;
  if (slot && btn) clear(slot);
  try {
    const result = await fn();
    if (slot && !btn) slot.querySelectorAll(':scope > .alert.error').forEach((e) => e.remove());
    return result;
  } catch (err) {
    if (slot) showError(slot, err);
    else toast(err.message || '操作失败');
    return undefined;
  } finally {
    if (btn) btn.disabled = false;
  }
}

/** A modal confirmation (native <dialog>); resolves true when confirmed. */
export function confirmDialog(title, lines = [], { okLabel = '确认', danger = false } = {}) {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title' });
    const done = (v) => {
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    dlg.append(
      h('h2', { id: 'confirm-title' }, title),
      ...lines.map((l) => h('p', {}, l)),
      h('div', { class: 'actions' },
        button('取消', () => done(false)),
        button(okLabel, () => done(true), { class: danger ? 'danger' : 'primary' })),
    );
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

export function fen(n) {
  if (n === null || n === undefined) return '—';
  const sign = n < 0 ? '-' : '';
  const v = Math.abs(n);
  return `${sign}¥${Math.floor(v / 100)}.${String(v % 100).padStart(2, '0')}`;
}

/** Parse "12.5" yuan into fen (integer), or NaN. */
export function yuanToFen(text) {
  const m = String(text).trim().match(/^(\d+)(?:\.(\d{1,2}))?$/);
  if (!m) return NaN;
  return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'));
}

/** ISO time shown in Beijing time as YYYY-MM-DD HH:MM. */
export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const bj = new Date(d.getTime() + 8 * 3600 * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${bj.getUTCFullYear()}-${p(bj.getUTCMonth() + 1)}-${p(bj.getUTCDate())} ${p(bj.getUTCHours())}:${p(bj.getUTCMinutes())}`;
}

export function fmtHM(iso) {
  const t = fmtTime(iso);
  return t.length >= 16 ? t.slice(11, 16) : t;
}

/** Today's date by the server's clock, in Beijing time (see clock.js). */
export { today } from './clock.js';

export function badge(text, kind = '') {
  return h('span', { class: `badge ${kind}` }, text);
}

export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

/** A heading + message slot every page starts with. */
export function pageHeader(main, title, subtitle) {
  const msg = h('div', { class: 'messages', 'aria-live': 'polite' });
  clear(main, h('h1', { tabindex: '-1' }, title), subtitle ? h('p', { class: 'sub' }, subtitle) : null, msg);
  return msg;
}

export function idShort(id) {
  return id ? String(id).slice(-6) : '—';
}

export function newRequestId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, '');
  return `${Date.now()}${Math.random().toString(16).slice(2)}`;
}
