// Check-in at the window: the scan form (typed or scanned code + Enter), its result, and the day's
// appointments.
import { postStaffCheckin } from '../../api/appointments.js';
import { h, clear, field, input, table, act, badge, fmtHM, APPT_STATUS } from '../../ui.js';
import { personText } from '../case/list.js';

function apptBadge(status) {
  if (status === 'checked_in') return 'green';
  return status === 'cancelled_by_centre' ? 'red' : '';
}

export function appointmentsTable(items) {
  return table([
    { label: '时段', render: (a) => `${fmtHM(a.start || (a.slot && a.slot.start))}–${fmtHM(a.end || (a.slot && a.slot.end))}` },
    { label: '事项', render: (a) => a.service_name || '—' },
    { label: '群众', render: (a) => personText(a.resident) },
    { label: '预约码', render: (a) => h('code', {}, a.code) },
    { label: '状态', render: (a) => badge(APPT_STATUS[a.status] || a.status, apptBadge(a.status)) },
    { label: '说明', render: (a) => (a.cancel_reason ? `中心取消：${a.cancel_reason}` : '—') },
    { label: '排队号', render: (a) => a.ticket_number || (a.ticket && a.ticket.ticket_number) || '—' },
  ], items, { empty: '当天没有预约', rowAttrs: (a) => ({ dataset: { code: a.code } }) });
}

function checkinResult(r) {
  const a = r.appointment || {};
  return h('div', { class: 'alert ok', role: 'status' },
    h('div', {}, r.already_checked_in ? '该预约已签到，排队号：' : '签到成功，排队号：'),
    h('div', { class: 'big-number ticket-number' }, r.ticket_number),
    h('div', { class: 'checkin-person' }, personText(a.resident)),
    h('div', {}, `${a.service_name || ''} ${a.start ? fmtHM(a.start) : ''}　前面还有 ${r.ahead ?? 0} 人`));
}

/** The scan form; `checkedIn()` runs after each check-in. Returns the form and its code input. */
export function checkinForm(checkedIn) {
  const code = input({
    name: 'appointment_code', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false',
    inputmode: 'latin', maxlength: 16, 'aria-describedby': 'code-hint',
  });
  const resultSlot = h('div', { class: 'checkin-result', 'aria-live': 'assertive' });
  const scanForm = h('form', { class: 'card scan' },
    field('预约码', code),
    h('small', { id: 'code-hint', class: 'hint' }, '4–16 位字母或数字，回车签到'),
    h('button', { type: 'submit', class: 'primary' }, '签到'),
    resultSlot);
  scanForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = code.value.replace(/\s+/g, '').toUpperCase();
    if (!value) return;
    const btn = scanForm.querySelector('button[type=submit]');
    const r = await act(resultSlot, () => postStaffCheckin({ body: { appointment_code: value } }), btn);
    code.value = '';
    code.focus();
    if (!r) return;
    clear(resultSlot, checkinResult(r));
    await checkedIn();
  });
  return { scanForm, code };
}
