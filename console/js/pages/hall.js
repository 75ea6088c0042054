// Hall manager: halls and windows, services and their guides, schedules and exceptions, slot calendar.
// The pages compose the render helpers in views/hall/.
import { getStaffHallsByIdCalendar, getStaffHallsByIdSchedules, postStaffSlotsRelease } from '../api/appointments.js';
import { getHalls, getServices } from '../api/catalogue.js';
import { h, clear, field, input, select, act, notice, pageHeader, section, today } from '../ui.js';
import { hallForm, newHallForm, windowClosure } from '../views/hall/halls.js';
import { serviceForm, servicesTable } from '../views/hall/services.js';
import { exceptionsSection, schedulesSection } from '../views/hall/schedules.js';
import { calendarView } from '../views/hall/calendar.js';

const ROLES = ['hall_manager'];
const GROUP = '大厅管理';

async function loadHalls(msg) {
  const data = await act(msg, () => getHalls());
  return data ? data.items : [];
}

async function loadServices(msg, query = {}) {
  const data = await act(msg, () => getServices({ query }));
  return data ? data.items : [];
}

async function renderHalls(main) {
  const msg = pageHeader(main, '大厅与窗口', '维护大厅信息、开放时间、闭厅日和窗口（窗口可办事项决定叫号范围）。');
  const halls = await loadHalls(msg);
  const services = await loadServices(msg);
  const picker = select(halls.map((x) => [x.id, `${x.name}${x.status === 'inactive' ? '（已停用）' : ''}`]), { name: 'hall' });
  const editor = h('div');
  main.append(h('div', { class: 'card' }, field('选择大厅', picker)), editor);

  const show = (hall) => clear(editor, hallForm(hall, services, (updated) => {
    Object.assign(hall, updated);
    show(hall);
    notice(editor.querySelector('.messages'), '大厅已保存');
  }), windowClosure(hall));

  picker.addEventListener('change', () => show(halls.find((x) => x.id === picker.value)));
  if (halls.length) show(halls[0]);
  main.append(section('新增大厅', newHallForm((hall) => {
    halls.push(hall);
    picker.append(h('option', { value: hall.id }, hall.name));
    picker.value = hall.id;
    show(hall);
  })));
}

async function renderServices(main) {
  const msg = pageHeader(main, '事项与指南', '维护事项的办事指南：材料、收费、时限、是否可预约，以及在哪些大厅办理。');
  const halls = await loadHalls(msg);
  const q = input({ type: 'search', name: 'q', placeholder: '名称或关键词' });
  const searchForm = h('form', { class: 'card', role: 'search' }, field('查找事项', q), h('button', { type: 'submit' }, '查找'));
  const list = h('div');
  const editor = h('div');
  main.append(searchForm, h('div', { class: 'cols-2' }, section('事项', list), editor));

  const load = async () => clear(list, servicesTable(await loadServices(msg, { q: q.value.trim() }), edit));
  function edit(svc) {
    const { form, first } = serviceForm(svc, halls, async (updated) => {
      edit(updated);
      notice(editor.querySelector('.messages'), '事项已保存');
      await load();
    });
    clear(editor, form);
    first.focus();
  }

  searchForm.addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });
  await load();
}

async function hallPicker(msg) {
  const halls = await loadHalls(msg);
  const picker = select(halls.map((x) => [x.id, x.name]), { name: 'hall' });
  return { halls, picker };
}

async function renderSchedules(main) {
  const msg = pageHeader(main, '排班与例外', '每个事项在本大厅的预约排班（时段长度、窗口数、放号规则），以及闭厅或加开的例外日。');
  const { picker } = await hallPicker(msg);
  const holder = h('div');
  main.append(h('div', { class: 'card' }, field('大厅', picker)), holder);

  async function load() {
    const hallId = picker.value;
    const [data, services] = await Promise.all([
      act(msg, () => getStaffHallsByIdSchedules(hallId)),
      loadServices(msg, { hall_id: hallId }),
    ]);
    if (!data) return;
    const svcName = (id) => (services.find((s) => s.id === id) || {}).name || id;
    const added = async (ex) => {
      await load();
      notice(holder.querySelector('.exceptions .messages'),
        `已添加例外日 ${ex.date}${ex.affected_bookings ? `，已取消预约 ${ex.affected_bookings} 个并通知群众` : ''}`);
    };
    clear(holder, schedulesSection(hallId, data.items, services, svcName),
      exceptionsSection(hallId, data.exceptions || [], services, svcName, added));
  }

  picker.addEventListener('change', load);
  await load();
}

async function renderCalendar(main) {
  const msg = pageHeader(main, '时段日历', '每天每个时段的预约量与预约率；颜色越深越满。未放号的时段以斜体显示。');
  const { picker } = await hallPicker(msg);
  const from = input({ type: 'date', value: today(0) });
  const to = input({ type: 'date', value: today(6) });
  const form = h('form', { class: 'card' }, field('大厅', picker), field('开始日期', from), field('结束日期', to),
    h('button', { type: 'submit', class: 'primary' }, '查看'));
  const holder = h('div');
  main.append(form, holder);

  const release = async (d, btn) => {
    const r = await act(msg, () => postStaffSlotsRelease({ body: { hall_id: picker.value, date: d } }), btn);
    if (r) { notice(msg, `已放号 ${r.released} 个时段（${d}）`); await load(); }
  };
  async function load() {
    const data = await act(msg, () => getStaffHallsByIdCalendar(picker.value, { query: { from: from.value, to: to.value } }));
    if (data) clear(holder, calendarView(data.items, release));
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });
  await load();
}

export default [
  { path: 'hall/halls', title: '大厅与窗口', group: GROUP, roles: ROLES, render: renderHalls },
  { path: 'hall/services', title: '事项与指南', group: GROUP, roles: ROLES, render: renderServices },
  { path: 'hall/schedules', title: '排班与例外', group: GROUP, roles: ROLES, render: renderSchedules },
  { path: 'hall/calendar', title: '时段日历', group: GROUP, roles: ROLES, render: renderCalendar },
];
