// Window clerk: today's appointments and check-in (typed or scanned code + Enter), the queue board
// per window (call next / recall / served / absent), walk-in tickets, and cases taken at the window.
// The pages compose the render helpers in views/appointments/ and views/case/.
import { currentSession } from '../api.js';
import { getStaffAppointments, getStaffQueue, postStaffWindowsByWindowIdCallNext } from '../api/appointments.js';
import { getHalls, getServices } from '../api/catalogue.js';
import { h, clear, field, input, select, button, act, notice, pageHeader, section, today } from '../ui.js';
import { caseLookup } from '../views/case/list.js';
import { caseWorklist } from '../views/case/worklist.js';
import { walkInCaseForm } from '../views/case/walkin.js';
import { appointmentsTable, checkinForm } from '../views/appointments/checkin.js';
import { currentTickets, followBoard, queueBoard, ticketAction, walkInForm } from '../views/appointments/queue.js';

const ROLES = ['clerk'];
const GROUP = '窗口受理';
const HALL_KEY = 'zjb.console.hall';
const WINDOW_KEY = 'zjb.console.window';

/** The halls this clerk works in (all halls when the account is not scoped). */
async function myHalls(msg) {
  const data = await act(msg, () => getHalls());
  const halls = data ? data.items : [];
  const s = currentSession();
  const scope = (s && s.staff && s.staff.hall_ids) || [];
  return scope.length ? halls.filter((x) => scope.includes(x.id)) : halls;
}

function hallSelect(halls) {
  const saved = sessionStorage.getItem(HALL_KEY);
  const sel = select(halls.map((x) => [x.id, x.name]), { name: 'hall', value: saved || undefined });
  sel.addEventListener('change', () => sessionStorage.setItem(HALL_KEY, sel.value));
  return sel;
}

async function renderCheckin(main) {
  const msg = pageHeader(main, '今日预约与签到', '输入或扫描群众出示的预约码后按回车即签到取号；扫码枪会自动输入并回车。');
  const halls = await myHalls(msg);
  const hall = hallSelect(halls);
  const date = input({ type: 'date', value: today(), name: 'date' });
  const { scanForm, code } = checkinForm(() => load());
  const listHolder = h('div');
  main.append(scanForm, h('div', { class: 'card' }, field('大厅', hall), field('日期', date),
    button('刷新', () => load())), listHolder);

  async function load() {
    if (!hall.value) return;
    const data = await act(msg, () => getStaffAppointments({ query: { hall_id: hall.value, date: date.value } }));
    if (data) clear(listHolder, section(`预约（${data.items.length}）`, appointmentsTable(data.items)));
  }
  hall.addEventListener('change', load);
  date.addEventListener('change', load);
  code.focus();
  await load();
}

/** Fill the window select with the chosen hall's windows, this browser's last window chosen. */
function fillWindows(win, halls, hallId) {
  const hl = halls.find((x) => x.id === hallId);
  const saved = sessionStorage.getItem(WINDOW_KEY);
  clear(win, ...((hl && hl.windows) || []).map((w) => h('option', { value: w.id, selected: w.id === saved },
    `${w.number} 号窗口 · ${w.name}`)));
}

async function renderQueue(main) {
  const msg = pageHeader(main, '叫号', '选择本窗口后按“叫下一位”；群众未到可重呼（最多 3 次）或记过号。');
  const halls = await myHalls(msg);
  const hall = hallSelect(halls);
  const win = select([], { name: 'window' });
  const current = h('div', { class: 'card current-ticket', 'aria-live': 'polite' });
  const board = h('div');
  const walk = walkInForm(() => hall.value, () => load());
  const callBtn = button('叫下一位', () => callNext(), { class: 'primary', accesskey: 'n' });
  main.append(h('div', { class: 'card' }, field('大厅', hall), field('本窗口', win),
    h('div', { class: 'actions' }, callBtn, button('刷新', () => load()))),
  current, h('div', { class: 'cols-2' }, section('排队情况', board), section('现场取号（未预约）', walk.walkForm)));

  async function fillServices() {
    const data = await act(walk.walkSlot, () => getServices({ query: { hall_id: hall.value } }));
    clear(walk.walkService, ...((data && data.items) || []).map((s) => h('option', { value: s.id }, s.name)));
  }
  win.addEventListener('change', () => { sessionStorage.setItem(WINDOW_KEY, win.value); load(); });
  let stop = () => {};
  hall.addEventListener('change', async () => { fillWindows(win, halls, hall.value); await fillServices(); stop(); stop = followBoard(hall.value, load); });

  async function callNext() {
    const t = await act(msg, () => postStaffWindowsByWindowIdCallNext(win.value, { body: { hall_id: hall.value } }), callBtn);
    if (t) notice(msg, `请 ${t.ticket_number} 号到 ${t.window_number || ''} 号窗口办理`);
    await load();
  }
  const run = (t, action, label, btn) => ticketAction(t, action, label, btn, msg, load);
  async function load() {
    if (!hall.value) return;
    const q = await act(msg, () => getStaffQueue({ query: { hall_id: hall.value } }));
    if (!q) return;
    clear(current, currentTickets(q.items.filter((t) => t.status === 'called' && t.window_id === win.value), run));
    clear(board, queueBoard(q));
  }

  fillWindows(win, halls, hall.value); await fillServices();
  stop = followBoard(hall.value, load); // loads at once, then on every change pushed
  return () => stop();
}

async function renderCases(main) {
  const msg = pageHeader(main, '办件受理', '先处理最早的：待受理的受理或要求补正（写明缺少的材料），已受理的送审，已批准的办结出件；也可登记窗口收件。');
  const { el, load } = caseWorklist(msg, {
    waiting: { submitted: '待受理', accepted: '已受理待送审', approved: '已批准待办结' },
    choices: [['submitted', '待受理'], ['correction_requested', '待补正'], ['accepted', '已受理'],
      ['approved', '已批准（待办结）'], ['rejected', '不予批准'], ['completed', '已办结'],
      ['promise:open', '容缺材料待补齐'], ['promise:overdue', '容缺材料已逾期']],
  });
  main.append(caseLookup(), el);

  // -- a case taken at the window --
  const services = ((await act(msg, () => getServices())) || { items: [] }).items;
  main.append(section('窗口收件登记', walkInCaseForm(services, load)));
  await load();
}

export default [
  { path: 'clerk/checkin', title: '今日预约与签到', group: GROUP, roles: ROLES, render: renderCheckin },
  { path: 'clerk/queue', title: '叫号', group: GROUP, roles: ROLES, render: renderQueue },
  { path: 'clerk/cases', title: '办件受理', group: GROUP, roles: ROLES, render: renderCases },
];
