// Schedules and exceptions of one hall: a card per service's schedule, the exceptions table and
// the form that adds an exception day (closing days asks first what it would cancel).
import { postStaffHallsByIdExceptions, putStaffHallsByIdSchedules } from '../../api/appointments.js';
import { h, field, input, select, button, table, act, notice, section, badge, today } from '../../ui.js';
import { periodsEditor } from './editors.js';
import { confirmClosure } from './halls.js';

function scheduleControls(s, services) {
  return {
    svc: select(services.map((x) => [x.id, x.name]), { value: s.service_id, class: 'service' }),
    minutes: input({ type: 'number', min: 10, max: 240, value: s.slot_minutes || 60, class: 'narrow' }),
    windows: input({ type: 'number', min: 1, max: 50, value: s.windows || 1, class: 'narrow' }),
    perWindow: input({ type: 'number', min: 1, max: 50, value: s.per_window || 3, class: 'narrow' }),
    releaseDays: input({ type: 'number', min: 0, max: 60, value: s.release_days ?? 7, class: 'narrow' }),
    releaseTime: input({ type: 'time', value: s.release_time || '08:00' }),
    periods: periodsEditor(s.periods || [], '预约时段'),
  };
}

/** One schedule's card, added to `body`; its value joins `rows` until it is removed. */
function addScheduleCard(s, services, svcName, rows, body) {
  const c = scheduleControls(s, services);
  const card = h('div', { class: 'card schedule' },
    h('h3', {}, s.service_id ? svcName(s.service_id) : '新排班'),
    field('事项', c.svc), field('时段（分钟）', c.minutes), field('窗口数', c.windows), field('每窗口每时段人数', c.perWindow),
    field('提前放号（天）', c.releaseDays), field('放号时间', c.releaseTime),
    s.capacity !== undefined ? h('p', { class: 'muted' }, `当前每时段容量 ${s.capacity} 人`) : null,
    h('details', {}, h('summary', {}, `预约时段（${(s.periods || []).length} 段，点击展开编辑）`), c.periods),
    button('移除此排班', () => { card.remove(); rows.splice(rows.indexOf(row), 1); }));
  const row = {
    value: () => ({
      service_id: c.svc.value, periods: c.periods.value(), slot_minutes: Number(c.minutes.value),
      windows: Number(c.windows.value), per_window: Number(c.perWindow.value),
      release_days: Number(c.releaseDays.value), release_time: c.releaseTime.value,
    }),
  };
  rows.push(row);
  body.append(card);
}

/** The schedules section: every schedule's card, adding one, saving all. */
export function schedulesSection(hallId, items, services, svcName) {
  const slot = h('div', { class: 'messages' });
  const rows = [];
  const body = h('div');
  items.forEach((s) => addScheduleCard(s, services, svcName, rows, body));
  const save = button('保存全部排班', async () => {
    const saved = await act(slot, () => putStaffHallsByIdSchedules(hallId, { body: { items: rows.map((r) => r.value()) } }), save);
    if (saved) notice(slot, '排班已保存，新的时段将按放号规则生成');
  }, { class: 'primary' });
  const add = button('添加排班', () => addScheduleCard({ service_id: services[0] && services[0].id, periods: [] },
    services, svcName, rows, body));
  return section('预约排班', slot, body, h('div', { class: 'actions' }, add, save));
}

function exceptionBody(c) {
  const body = { date: c.date.value, kind: c.kind.value, note: c.note.value.trim() };
  if (c.service.value) body.service_id = c.service.value;
  if (c.kind.value === 'open') body.periods = [{ start: c.start.value, end: c.end.value }];
  return body;
}

/** The add-an-exception form; `added(exception)` runs after one is added. */
function exceptionForm(hallId, services, added) {
  const slot = h('div', { class: 'messages' });
  const c = {
    date: input({ type: 'date', value: today(1) }),
    kind: select([['closed', '闭厅（停止预约）'], ['open', '加开']], {}),
    service: select([['', '全部事项'], ...services.map((x) => [x.id, x.name])], {}),
    start: input({ type: 'time', value: '09:00' }),
    end: input({ type: 'time', value: '12:00' }),
    note: input({ class: 'wide' }),
  };
  const btn = h('button', { type: 'submit', class: 'primary' }, '添加例外日');
  const form = h('form', {}, slot, field('日期', c.date), field('类型', c.kind), field('事项', c.service),
    field('开始（加开）', c.start), field('结束（加开）', c.end), field('说明', c.note), btn);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = exceptionBody(c);
    if (c.kind.value === 'closed') {
      const scope = { dates: [c.date.value] };
      if (c.service.value) scope.service_id = c.service.value;
      if (!(await confirmClosure(slot, hallId, scope, `${c.date.value} 闭厅？`))) return;
    }
    const ex = await act(slot, () => postStaffHallsByIdExceptions(hallId, { body }), btn);
    if (ex) await added(ex);
  });
  return form;
}

/** The exceptions section: the table and the add form. */
export function exceptionsSection(hallId, exceptions, services, svcName, added) {
  return h('section', { class: 'card exceptions' }, h('h2', {}, '例外日'),
    table([
      { label: '日期', render: (x) => x.date },
      { label: '类型', render: (x) => (x.kind === 'closed' ? badge('闭厅', 'red') : badge('加开', 'green')) },
      { label: '事项', render: (x) => (x.service_id ? svcName(x.service_id) : '全部') },
      { label: '时段', render: (x) => (x.periods || []).map((p) => `${p.start}–${p.end}`).join('，') || '—' },
      { label: '说明', render: (x) => x.note || '—' },
    ], exceptions, { empty: '没有例外日' }),
    h('h3', {}, '添加例外日'), exceptionForm(hallId, services, added));
}
