// Halls: the hall editor (details, opening hours, closed days, windows), closing a window on some
// days, and the new-hall form. Closing days asks first what it would cancel.
import {
  postStaffHallsByIdClosures, postStaffHallsByIdClosuresPreview,
} from '../../api/appointments.js';
import { patchStaffHallsById, postStaffHalls } from '../../api/catalogue.js';
import { h, field, input, select, button, act, notice, today, confirmDialog } from '../../ui.js';
import { periodsEditor, windowsEditor } from './editors.js';

// What closing days (or a window on those days) cancels, asked before saving: true to go on.
export async function confirmClosure(slot, hallId, body, title) {
  const impact = await act(slot, () => postStaffHallsByIdClosuresPreview(hallId, { body }));
  if (!impact) return false;
  if (!impact.appointments && !impact.waitlist) return true;
  return confirmDialog(title, [
    `将取消 ${impact.appointments} 个预约、${impact.waitlist} 个候补，并通知相关群众。`,
    '被取消的预约不记爽约，群众可以立即重新预约其他时间。',
  ], { okLabel: '确认并通知群众', danger: true });
}

// A window taken out of service on some days: the services only it serves stop those days.
export function windowClosure(hall) {
  const slot = h('div', { class: 'messages' });
  const wins = (hall.windows || []).filter((w) => w.id);
  const win = select(wins.map((w) => [w.id, `${w.number} ${w.name}`]), { 'aria-label': '窗口' });
  const dates = input({ class: 'wide', placeholder: `${today(1)},${today(2)}`, 'aria-label': '停用日期' });
  const reason = input({ class: 'wide', placeholder: '如：窗口设备维修', 'aria-label': '停用原因' });
  const go = button('停用窗口', async () => {
    const body = { dates: dates.value.split(/[,，\s]+/).filter(Boolean), window_id: win.value };
    if (!body.dates.length || !reason.value.trim()) {
      notice(slot, '请填写停用日期和原因', 'error');
      return;
    }
    if (!(await confirmClosure(slot, hall.id, body, `停用窗口 ${win.selectedOptions[0].textContent}？`))) return;
    const done = await act(slot, () => postStaffHallsByIdClosures(hall.id, { body: { ...body, reason: reason.value.trim() } }), go);
    if (done) notice(slot, `窗口已停用：取消预约 ${done.appointments} 个、候补 ${done.waitlist} 个，已通知相关群众`);
  });
  if (!wins.length) return h('div');
  return h('section', { class: 'card window-closure' }, h('h3', {}, '停用窗口（按日期）'),
    h('p', { class: 'muted' }, '只由该窗口办理的事项当天停止预约，已有预约将取消并通知群众；其他窗口也办理的事项不受影响。'),
    slot, field('窗口', win), field('日期（逗号分隔）', dates), field('原因', reason), h('div', { class: 'actions' }, go));
}

function hallControls(hall, services) {
  return {
    name: input({ value: hall.name, class: 'wide' }),
    address: input({ value: hall.address, class: 'wide' }),
    phone: input({ value: hall.phone || '' }),
    notice: h('textarea', { 'aria-label': '公告' }, hall.notice || ''),
    closed: input({ value: (hall.closed_dates || []).join(','), class: 'wide', placeholder: '2026-10-01,2026-10-02' }),
    closedReason: input({ class: 'wide', placeholder: '如：设备检修（新增闭厅日时告知被取消预约的群众）' }),
    status: select([['active', '开放'], ['inactive', '停用']], { value: hall.status }),
    hours: periodsEditor(hall.opening_hours || []),
    wins: windowsEditor(hall.windows || [], services.filter((s) => (s.hall_ids || []).includes(hall.id))),
  };
}

function hallBody(c) {
  return {
    name: c.name.value.trim(),
    address: c.address.value.trim(),
    phone: c.phone.value.trim(),
    notice: c.notice.value,
    status: c.status.value,
    closed_dates: c.closed.value.split(/[,，\s]+/).filter(Boolean),
    opening_hours: c.hours.value(),
    windows: c.wins.value(),
  };
}

/** Whether the change may go ahead: new closed days (their cancellations) and disabling are confirmed. */
async function confirmHallChange(slot, hall, body, c) {
  const added = body.closed_dates.filter((d) => d >= today() && !(hall.closed_dates || []).includes(d));
  if (added.length) {
    if (!(await confirmClosure(slot, hall.id, { dates: added }, `闭厅 ${added.join('、')}？`))) return false;
    if (c.closedReason.value.trim()) body.closure_reason = c.closedReason.value.trim();
  }
  return !(body.status === 'inactive' && hall.status !== 'inactive' && !(await confirmDialog(`停用大厅 ${hall.name}？`,
    ['停用后群众将看不到该大厅，也不能再预约；目前的公开列表不含已停用的大厅，本页之后也无法再选中它。'],
    { okLabel: '停用', danger: true })));
}

/** One hall's editor; `saved(updated)` runs after a save. */
export function hallForm(hall, services, saved) {
  const slot = h('div', { class: 'messages' });
  const c = hallControls(hall, services);
  const save = h('button', { type: 'submit', class: 'primary' }, '保存大厅');
  const form = h('form', { class: 'card hall-editor' },
    h('h2', {}, hall.name), slot,
    field('名称', c.name), field('地址', c.address), field('电话', c.phone), field('状态', c.status),
    field('闭厅日（逗号分隔）', c.closed), field('闭厅原因', c.closedReason), field('公告', c.notice),
    c.hours, c.wins, h('div', { class: 'actions' }, save));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = hallBody(c);
    if (!(await confirmHallChange(slot, hall, body, c))) return;
    const updated = await act(slot, () => patchStaffHallsById(hall.id, { body }), save);
    if (updated) saved(updated);
  });
  return form;
}

/** The new-hall form; `created(hall)` runs with the new hall, which gets a default week. */
export function newHallForm(created) {
  const slot = h('div', { class: 'messages' });
  const code = input({ placeholder: 'hall-east' });
  const nm = input();
  const addr = input({ class: 'wide' });
  const createBtn = h('button', { type: 'submit' }, '新增大厅');
  const create = h('form', {}, slot, field('编码', code), field('名称', nm), field('地址', addr), createBtn);
  create.addEventListener('submit', async (e) => {
    e.preventDefault();
    const hall = await act(slot, () => postStaffHalls({ body: {
      code: code.value.trim(), name: nm.value.trim(), address: addr.value.trim(),
      opening_hours: [1, 2, 3, 4, 5].map((d) => ({ weekday: d, start: '09:00', end: '17:00' })),
    } }), createBtn);
    if (hall) {
      created(hall);
      notice(slot, `已新增大厅 ${hall.name}（默认周一至周五 9:00–17:00，可在上方修改）`);
    }
  });
  return create;
}
