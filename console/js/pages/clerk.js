// Window clerk: today's appointments and check-in (typed or scanned code + Enter), the queue board
// per window (call next / recall / served / absent), walk-in tickets, and cases taken at the window.
import { currentSession } from '../api.js';
import {
  getStaffAppointments, getStaffQueue, postStaffCheckin, postStaffTickets, postStaffTicketsByIdAbsent,
  postStaffTicketsByIdRecall, postStaffTicketsByIdServed, postStaffWindowsByWindowIdCallNext,
} from '../api/appointments.js';
import { getStaffApplications, postStaffApplications } from '../api/cases.js';
import { getHalls, getServices } from '../api/catalogue.js';
import { getStaffResidents } from '../api/staff.js';
import {
  h, clear, field, input, select, button, table, act, notice, pageHeader, section, badge, fmtHM, fmtTime, today,
  confirmDialog, APPT_STATUS, TICKET_STATUS,
} from '../ui.js';
import { casesTable, caseLookup, personText } from '../views/case/list.js';

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
  const listHolder = h('div');
  main.append(scanForm, h('div', { class: 'card' }, field('大厅', hall), field('日期', date),
    button('刷新', () => load())), listHolder);

  scanForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = code.value.replace(/\s+/g, '').toUpperCase();
    if (!value) return;
    const btn = scanForm.querySelector('button[type=submit]');
    const r = await act(resultSlot, () => postStaffCheckin({ body: { appointment_code: value } }), btn);
    code.value = '';
    code.focus();
    if (!r) return;
    const a = r.appointment || {};
    clear(resultSlot, h('div', { class: 'alert ok', role: 'status' },
      h('div', {}, r.already_checked_in ? '该预约已签到，排队号：' : '签到成功，排队号：'),
      h('div', { class: 'big-number ticket-number' }, r.ticket_number),
      h('div', { class: 'checkin-person' }, personText(a.resident)),
      h('div', {}, `${a.service_name || ''} ${a.start ? fmtHM(a.start) : ''}　前面还有 ${r.ahead ?? 0} 人`)));
    await load();
  });

  async function load() {
    if (!hall.value) return;
    const data = await act(msg, () => getStaffAppointments({ query: { hall_id: hall.value, date: date.value } }));
    if (!data) return;
    clear(listHolder, section(`预约（${data.items.length}）`, table([
      { label: '时段', render: (a) => `${fmtHM(a.start || (a.slot && a.slot.start))}–${fmtHM(a.end || (a.slot && a.slot.end))}` },
      { label: '事项', render: (a) => a.service_name || '—' },
      { label: '群众', render: (a) => personText(a.resident) },
      { label: '预约码', render: (a) => h('code', {}, a.code) },
      { label: '状态', render: (a) => badge(APPT_STATUS[a.status] || a.status, apptBadge(a.status)) },
      { label: '说明', render: (a) => (a.cancel_reason ? `中心取消：${a.cancel_reason}` : '—') },
      { label: '排队号', render: (a) => a.ticket_number || (a.ticket && a.ticket.ticket_number) || '—' },
    ], data.items, { empty: '当天没有预约', rowAttrs: (a) => ({ dataset: { code: a.code } }) })));
  }
  hall.addEventListener('change', load);
  date.addEventListener('change', load);
  code.focus();
  await load();
}

function apptBadge(status) {
  if (status === 'checked_in') return 'green';
  return status === 'cancelled_by_centre' ? 'red' : '';
}

async function renderQueue(main) {
  const msg = pageHeader(main, '叫号', '选择本窗口后按“叫下一位”；群众未到可重呼（最多 3 次）或记过号。');
  const halls = await myHalls(msg);
  const hall = hallSelect(halls);
  const win = select([], { name: 'window' });
  const current = h('div', { class: 'card current-ticket', 'aria-live': 'polite' });
  const board = h('div');
  const walkSlot = h('div', { class: 'messages' });
  const walkService = select([], { name: 'walkin-service' });
  const walkBtn = h('button', { type: 'submit' }, '现场取号');
  const walkForm = h('form', {}, walkSlot, field('事项', walkService), walkBtn);
  const callBtn = button('叫下一位', () => callNext(), { class: 'primary', accesskey: 'n' });
  main.append(h('div', { class: 'card' }, field('大厅', hall), field('本窗口', win),
    h('div', { class: 'actions' }, callBtn, button('刷新', () => load()))),
  current, h('div', { class: 'cols-2' }, section('排队情况', board), section('现场取号（未预约）', walkForm)));

  function fillWindows() {
    const hl = halls.find((x) => x.id === hall.value);
    const saved = sessionStorage.getItem(WINDOW_KEY);
    clear(win, ...((hl && hl.windows) || []).map((w) => h('option', { value: w.id, selected: w.id === saved },
      `${w.number} 号窗口 · ${w.name}`)));
  }
  async function fillServices() {
    const data = await act(walkSlot, () => getServices({ query: { hall_id: hall.value } }));
    clear(walkService, ...((data && data.items) || []).map((s) => h('option', { value: s.id }, s.name)));
  }
  win.addEventListener('change', () => { sessionStorage.setItem(WINDOW_KEY, win.value); load(); });
  hall.addEventListener('change', async () => { fillWindows(); await fillServices(); await load(); });

  async function callNext() {
    const t = await act(msg, () => postStaffWindowsByWindowIdCallNext(win.value, { body: { hall_id: hall.value } }), callBtn);
    if (t) notice(msg, `请 ${t.ticket_number} 号到 ${t.window_number || ''} 号窗口办理`);
    await load();
  }

  // Each action is the generated client call for its endpoint.
  const TICKET_ACTIONS = {
    recall: (t) => postStaffTicketsByIdRecall(t.id),
    served: (t) => postStaffTicketsByIdServed(t.id),
    absent: (t) => postStaffTicketsByIdAbsent(t.id),
  };

  async function ticketAction(t, action, label, btn) {
    const r = await act(msg, () => TICKET_ACTIONS[action](t), btn);
    if (r) notice(msg, `${r.ticket_number}：${label}`);
    await load();
  }

  async function load() {
    if (!hall.value) return;
    const q = await act(msg, () => getStaffQueue({ query: { hall_id: hall.value } }));
    if (!q) return;
    const mine = q.items.filter((t) => t.status === 'called' && t.window_id === win.value);
    clear(current, h('h2', {}, '本窗口当前'), mine.length ? mine.map((t) => h('div', { class: 'row called', dataset: { ticket: t.ticket_number } },
      h('span', { class: 'big-number' }, t.ticket_number),
      h('div', { class: 'grow' }, h('div', {}, t.service_name || ''), t.resident ? h('div', {}, personText(t.resident)) : null,
        h('div', { class: 'muted' },
        `${t.kind === 'walk_in' ? '现场取号' : '预约'}　叫号时间 ${fmtHM(t.called_at)}　已重呼 ${t.recalls || 0} 次`)),
      h('div', { class: 'actions' },
        button('重呼', (e) => ticketAction(t, 'recall', '已重呼', e.target)),
        button('已办结', (e) => ticketAction(t, 'served', '已办结', e.target), { class: 'primary' }),
        button('过号', (e) => ticketAction(t, 'absent', '已记过号', e.target), { class: 'danger' })))) : h('p', { class: 'muted' }, '暂无，按“叫下一位”叫号'));
    clear(board, h('p', {}, `等候 ${q.waiting} 人，已叫 ${q.called ?? 0} 人`), table([
      { label: '排队号', render: (t) => h('strong', {}, t.ticket_number) },
      { label: '事项', render: (t) => t.service_name || '—' },
      { label: '类型', render: (t) => (t.kind === 'walk_in' ? '现场' : '预约') },
      { label: '群众', render: (t) => (t.resident ? personText(t.resident) : '—') },
      { label: '状态', render: (t) => badge(TICKET_STATUS[t.status] || t.status, t.status === 'called' ? 'yellow' : '') },
      { label: '窗口', render: (t) => t.window_number || '—' },
    ], q.items.filter((t) => t.status === 'waiting' || t.status === 'called'), {
      empty: '没有排队的群众', rowAttrs: (t) => ({ dataset: { ticket: t.ticket_number, status: t.status } }),
    }));
  }

  walkForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const t = await act(walkSlot, () => postStaffTickets({ body: { hall_id: hall.value, service_id: walkService.value } }), walkBtn);
    if (t) {
      clear(walkSlot, h('div', { class: 'alert ok', role: 'status' }, '取号成功：',
        h('span', { class: 'big-number walkin-number' }, t.ticket_number), `　前面 ${t.ahead} 人`));
      await load();
    }
  });

  fillWindows();
  await fillServices();
  await load();
  const timer = setInterval(() => { if (!document.hidden) load(); }, 15000);
  return () => clearInterval(timer);
}

/** Who applies at the window, found by what they bring: a full ID number or name, an earlier case's
 * serial, or their booking code. Shown masked; the clerk picks one (`chosen()` is that resident). */
function residentFinder() {
  const slot = h('div', { class: 'messages' });
  const q = input({ name: 'applicant-q', class: 'wide', autocomplete: 'off', maxlength: 40 });
  const go = button('查找申请人', () => find());
  const list = h('div', { class: 'candidates', 'aria-live': 'polite' });
  const el = h('div', { class: 'resident-finder' }, slot,
    field('申请人', q, '身份证号、姓名、办件编号或预约码'), h('div', { class: 'field' }, go), list);
  q.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      find();
    }
  });

  async function lookup(text) {
    const compact = text.replace(/\s+/g, '').toUpperCase();
    if (/^ZJB\d{14}$/.test(compact)) {
      return (await getStaffApplications({ query: { serial: compact } })).items.map((c) => c.applicant);
    }
    if (/^\d{17}[\dX]$/.test(compact)) return (await getStaffResidents({ query: { q: compact } })).items;
    if (/^[A-Z0-9]{4,16}$/.test(compact)) {
      const booked = (await getStaffAppointments({ query: { code: compact } })).items;
      if (booked.length) return booked.map((a) => a.resident);
    }
    return (await getStaffResidents({ query: { q: text } })).items;
  }

  async function find() {
    const text = q.value.trim();
    if (text.length < 2) {
      notice(slot, '请输入申请人的身份证号、姓名、办件编号或预约码', 'error');
      return;
    }
    const found = await act(slot, () => lookup(text), go);
    if (!found) return;
    const people = [...new Map(found.filter(Boolean).map((p) => [p.id, p])).values()];
    if (!people.length) {
      clear(list, h('div', { class: 'alert warn', role: 'status' }, '未找到该居民，请核对；居民须先在小程序完成实名认证'));
      return;
    }
    clear(list, h('fieldset', {}, h('legend', {}, '选择申请人'), people.map((p) => h('label', { class: 'candidate' },
      h('input', { type: 'radio', name: 'resident', value: p.id, checked: people.length === 1 }), ' ', personText(p)))));
  }

  el.chosen = () => {
    const picked = list.querySelector('input[name=resident]:checked');
    return picked ? picked.value : null;
  };
  el.reset = () => clear(list);
  return el;
}

async function renderCases(main) {
  const msg = pageHeader(main, '办件受理', '登记窗口收件，受理或要求补正（写明缺少的材料），对已作出决定的办件办结出件。');
  const statusSel = select([['submitted', '待受理'], ['correction_requested', '待补正'], ['accepted', '已受理'],
    ['approved', '已批准（待办结）'], ['rejected', '不予批准（待办结）'], ['completed', '已办结'],
    ['promise:open', '容缺材料待补齐'], ['promise:overdue', '容缺材料已逾期']], { name: 'status' });
  const list = h('div');
  main.append(caseLookup(), h('div', { class: 'card' }, field('状态', statusSel), button('刷新', () => load())), section('办件', list));

  async function load() {
    const [kind, which] = statusSel.value.split(':');
    const query = kind === 'promise' ? { promise: which } : { status: statusSel.value };
    const data = await act(msg, () => getStaffApplications({ query }));
    if (data) clear(list, casesTable(data.items, { empty: '没有该状态的办件' }));
  }
  statusSel.addEventListener('change', load);

  // -- a case taken at the window --
  const services = ((await act(msg, () => getServices())) || { items: [] }).items;
  const slot = h('div', { class: 'messages' });
  const svc = select(services.map((s) => [s.id, `${s.name}（${s.department_name}）`]), { name: 'service' });
  const finder = residentFinder();
  const code = input({ name: 'identity_code', autocomplete: 'off', spellcheck: 'false', class: 'wide' });
  const phone = input({ name: 'phone', inputmode: 'tel' });
  const mats = h('fieldset', {}, h('legend', {}, '已收材料'));
  const fillMats = () => {
    const s = services.find((x) => x.id === svc.value);
    clear(mats, h('legend', {}, '已收材料'), ...((s && s.guide.materials) || []).map((m) => h('label', {},
      h('input', { type: 'checkbox', name: 'received', value: m.key, dataset: { name: m.name } }), ' ', m.name, m.required ? '' : '（非必须）')));
  };
  svc.addEventListener('change', fillMats);
  fillMats();
  const submit = h('button', { type: 'submit', class: 'primary' }, '登记收件');
  const form = h('form', { class: 'walkin-case' }, slot, field('事项', svc), finder,
    field('居民办事码', code, '本人到场：请居民打开小程序“我的办事码”，扫码枪扫描（约一分钟有效）；居民授权代办的请到“帮办代办”办理'),
    field('联系电话', phone), mats, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const residentId = finder.chosen();
    if (!residentId && !code.value.trim()) {
      notice(slot, '请先查找并选择申请人', 'error');
      return;
    }
    if (!code.value.trim()) {
      notice(slot, '请扫描申请人的办事码（本人到场）；居民授权代办的请到“帮办代办”办理', 'error');
      return;
    }
    const received = [...mats.querySelectorAll('input:checked')].map((i) => i.value);
    const body = {
      service_id: svc.value,
      identity_code: code.value.trim(),
      ...(residentId ? { resident_id: residentId } : {}),
      form: phone.value.trim() ? { phone: phone.value.trim() } : {},
      materials: received,
    };
    // The same person and service already has a case being handled: the clerk confirms a second one.
    let app = await act(slot, () => postStaffApplications({ body }).catch((err) => {
      if (err.code === 'open_case_exists') return { openCase: err };
      throw err;
    }), submit);
    if (app && app.openCase) {
      const d = app.openCase.details || {};
      const again = await confirmDialog('该居民已有同一事项正在办理', [
        `办件编号 ${d.serial || ''}，当前状态：${d.status_name || ''}，登记于 ${fmtTime(d.created_at)}。`,
        '如确属另一次申请（而非重复登记），请确认后继续登记。'], { okLabel: '仍要登记' });
      app = again ? await act(slot, () => postStaffApplications({ body: { ...body, confirm: true } }), submit) : undefined;
      if (!again) notice(slot, `未重复登记；已有办件 ${d.serial || ''}`);
    }
    if (app) {
      notice(slot, `已登记办件 ${app.serial}（${fmtTime(app.created_at || app.submitted_at)}）`);
      form.reset();
      finder.reset();
      fillMats();
      await load();
    }
  });
  main.append(section('窗口收件登记', form));
  await load();
}

export default [
  { path: 'clerk/checkin', title: '今日预约与签到', group: GROUP, roles: ROLES, render: renderCheckin },
  { path: 'clerk/queue', title: '叫号', group: GROUP, roles: ROLES, render: renderQueue },
  { path: 'clerk/cases', title: '办件受理', group: GROUP, roles: ROLES, render: renderCases },
];
