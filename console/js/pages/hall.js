// Hall manager: halls and windows, services and their guides, schedules and exceptions, slot calendar.
import {
  getStaffHallsByIdCalendar, getStaffHallsByIdSchedules, postStaffHallsByIdClosures,
  postStaffHallsByIdClosuresPreview, postStaffHallsByIdExceptions, postStaffSlotsRelease, putStaffHallsByIdSchedules,
} from '../api/appointments.js';
import {
  getHalls, getServices, patchStaffHallsById, patchStaffServicesById, postStaffHalls,
} from '../api/catalogue.js';
import {
  h, clear, field, input, select, button, table, act, notice, pageHeader, section, badge, fen, yuanToFen,
  fmtHM, today, confirmDialog, WEEKDAYS,
} from '../ui.js';

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

/** Editable weekly periods: [{weekday, start, end}] */
function periodsEditor(periods, label = '开放时间') {
  const body = h('tbody');
  const addRow = (p = { weekday: 1, start: '09:00', end: '17:00' }) => {
    const tr = h('tr', { class: 'period' },
      h('td', {}, select(WEEKDAYS.slice(1).map((w, i) => [i + 1, w]), { value: p.weekday, 'aria-label': '星期', class: 'weekday' })),
      h('td', {}, input({ type: 'time', value: p.start, 'aria-label': '开始', class: 'start' })),
      h('td', {}, input({ type: 'time', value: p.end, 'aria-label': '结束', class: 'end' })),
      h('td', {}, button('删除', () => tr.remove(), { 'aria-label': '删除此时段' })));
    body.append(tr);
  };
  periods.forEach(addRow);
  const el = h('div', { class: 'periods' },
    h('table', { class: 'grid' }, h('caption', {}, label),
      h('thead', {}, h('tr', {}, h('th', {}, '星期'), h('th', {}, '开始'), h('th', {}, '结束'), h('th', {}, '操作'))), body),
    button('添加时段', () => addRow()));
  el.value = () => [...body.querySelectorAll('tr.period')].map((tr) => ({
    weekday: Number(tr.querySelector('.weekday').value),
    start: tr.querySelector('.start').value,
    end: tr.querySelector('.end').value,
  }));
  return el;
}

function windowsEditor(windows, services) {
  const body = h('tbody');
  const addRow = (w = { number: '', name: '', area_prefix: 'A', service_ids: [] }) => {
    const svc = h('select', { multiple: true, size: 3, class: 'services', 'aria-label': '可办事项' },
      services.map((s) => h('option', { value: s.id, selected: (w.service_ids || []).includes(s.id) }, s.name)));
    const tr = h('tr', { class: 'window', dataset: { id: w.id || '' } },
      h('td', {}, input({ value: w.number, class: 'number narrow', 'aria-label': '窗口号' })),
      h('td', {}, input({ value: w.name, class: 'name', 'aria-label': '窗口名称' })),
      h('td', {}, input({ value: w.area_prefix, class: 'prefix narrow', 'aria-label': '排队号前缀', maxlength: 1 })),
      h('td', {}, svc),
      h('td', {}, button('删除', () => tr.remove(), { 'aria-label': `删除窗口 ${w.number || ''}`.trim() })));
    body.append(tr);
    return tr;
  };
  windows.forEach((w) => addRow(w));
  const add = button('添加窗口', () => {
    const tr = addRow();
    tr.querySelector('.number').focus();
  });
  const el = h('div', {},
    h('table', { class: 'grid windows' }, h('caption', {}, '窗口'),
      h('thead', {}, h('tr', {}, ['窗口号', '名称', '排队号前缀', '可办事项（可多选）', '操作'].map((t) => h('th', {}, t)))), body),
    add);
  el.value = () => [...body.querySelectorAll('tr.window')].map((tr) => {
    const w = {
      number: tr.querySelector('.number').value.trim(),
      name: tr.querySelector('.name').value.trim(),
      area_prefix: tr.querySelector('.prefix').value.trim().toUpperCase(),
      service_ids: [...tr.querySelector('.services').selectedOptions].map((o) => o.value),
    };
    if (tr.dataset.id) w.id = tr.dataset.id;
    return w;
  });
  return el;
}

// What closing days (or a window on those days) cancels, asked before saving: true to go on.
async function confirmClosure(slot, hallId, body, title) {
  const impact = await act(slot, () => postStaffHallsByIdClosuresPreview(hallId, { body }));
  if (!impact) return false;
  if (!impact.appointments && !impact.waitlist) return true;
  return confirmDialog(title, [
    `将取消 ${impact.appointments} 个预约、${impact.waitlist} 个候补，并通知相关群众。`,
    '被取消的预约不记爽约，群众可以立即重新预约其他时间。',
  ], { okLabel: '确认并通知群众', danger: true });
}

// A window taken out of service on some days: the services only it serves stop those days.
function windowClosure(hall) {
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

async function renderHalls(main) {
  const msg = pageHeader(main, '大厅与窗口', '维护大厅信息、开放时间、闭厅日和窗口（窗口可办事项决定叫号范围）。');
  const halls = await loadHalls(msg);
  const services = await loadServices(msg);
  const picker = select(halls.map((x) => [x.id, `${x.name}${x.status === 'inactive' ? '（已停用）' : ''}`]), { name: 'hall' });
  const editor = h('div');
  main.append(h('div', { class: 'card' }, field('选择大厅', picker)), editor);

  function show(hall) {
    const slot = h('div', { class: 'messages' });
    const name = input({ value: hall.name, class: 'wide' });
    const address = input({ value: hall.address, class: 'wide' });
    const phone = input({ value: hall.phone || '' });
    const notice_ = h('textarea', { 'aria-label': '公告' }, hall.notice || '');
    const closed = input({ value: (hall.closed_dates || []).join(','), class: 'wide', placeholder: '2026-10-01,2026-10-02' });
    const closedReason = input({ class: 'wide', placeholder: '如：设备检修（新增闭厅日时告知被取消预约的群众）' });
    const status = select([['active', '开放'], ['inactive', '停用']], { value: hall.status });
    const hours = periodsEditor(hall.opening_hours || []);
    const wins = windowsEditor(hall.windows || [], services.filter((s) => (s.hall_ids || []).includes(hall.id)));
    const save = h('button', { type: 'submit', class: 'primary' }, '保存大厅');
    const form = h('form', { class: 'card hall-editor' },
      h('h2', {}, hall.name), slot,
      field('名称', name), field('地址', address), field('电话', phone), field('状态', status),
      field('闭厅日（逗号分隔）', closed), field('闭厅原因', closedReason), field('公告', notice_),
      hours, wins, h('div', { class: 'actions' }, save));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = {
        name: name.value.trim(),
        address: address.value.trim(),
        phone: phone.value.trim(),
        notice: notice_.value,
        status: status.value,
        closed_dates: closed.value.split(/[,，\s]+/).filter(Boolean),
        opening_hours: hours.value(),
        windows: wins.value(),
      };
      const added = body.closed_dates.filter((d) => d >= today() && !(hall.closed_dates || []).includes(d));
      if (added.length) {
        if (!(await confirmClosure(slot, hall.id, { dates: added }, `闭厅 ${added.join('、')}？`))) return;
        if (closedReason.value.trim()) body.closure_reason = closedReason.value.trim();
      }
      if (body.status === 'inactive' && hall.status !== 'inactive' && !(await confirmDialog(`停用大厅 ${hall.name}？`,
        ['停用后群众将看不到该大厅，也不能再预约；目前的公开列表不含已停用的大厅，本页之后也无法再选中它。'],
        { okLabel: '停用', danger: true }))) return;
      const updated = await act(slot, () => patchStaffHallsById(hall.id, { body }), save);
      if (updated) {
        Object.assign(hall, updated);
        show(hall);
        notice(editor.querySelector('.messages'), '大厅已保存');
      }
    });
    clear(editor, form, windowClosure(hall));
  }

  picker.addEventListener('change', () => show(halls.find((x) => x.id === picker.value)));
  if (halls.length) show(halls[0]);

  // -- new hall --
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
      halls.push(hall);
      picker.append(h('option', { value: hall.id }, hall.name));
      picker.value = hall.id;
      show(hall);
      notice(slot, `已新增大厅 ${hall.name}（默认周一至周五 9:00–17:00，可在上方修改）`);
    }
  });
  main.append(section('新增大厅', create));
}

function materialsEditor(materials) {
  const body = h('tbody');
  const addRow = (m = { key: '', name: '', required: true, tolerable: false }) => {
    const tr = h('tr', { class: 'material' },
      h('td', {}, input({ value: m.key, class: 'key', 'aria-label': '材料编码' })),
      h('td', {}, input({ value: m.name, class: 'name wide', 'aria-label': '材料名称' })),
      h('td', {}, h('input', { type: 'checkbox', class: 'required', checked: m.required, 'aria-label': '必须提交' })),
      h('td', {}, h('input', { type: 'checkbox', class: 'tolerable', checked: m.tolerable, 'aria-label': '可容缺' })),
      h('td', {}, button('删除', () => tr.remove())));
    body.append(tr);
  };
  materials.forEach(addRow);
  const el = h('div', {}, h('table', { class: 'grid' }, h('caption', {}, '申请材料'),
    h('thead', {}, h('tr', {}, ['编码', '名称', '必须', '可容缺', '操作'].map((t) => h('th', {}, t)))), body),
  button('添加材料', () => addRow()));
  el.value = () => [...body.querySelectorAll('tr.material')].map((tr) => ({
    key: tr.querySelector('.key').value.trim(),
    name: tr.querySelector('.name').value.trim(),
    required: tr.querySelector('.required').checked,
    tolerable: tr.querySelector('.tolerable').checked,
  }));
  return el;
}

async function renderServices(main) {
  const msg = pageHeader(main, '事项与指南', '维护事项的办事指南：材料、收费、时限、是否可预约，以及在哪些大厅办理。');
  const halls = await loadHalls(msg);
  const q = input({ type: 'search', name: 'q', placeholder: '名称或关键词' });
  const searchForm = h('form', { class: 'card', role: 'search' }, field('查找事项', q), h('button', { type: 'submit' }, '查找'));
  const list = h('div');
  const editor = h('div');
  main.append(searchForm, h('div', { class: 'cols-2' }, section('事项', list), editor));

  async function load() {
    const items = await loadServices(msg, { q: q.value.trim() });
    clear(list, table([
      { label: '事项', render: (s) => button(s.name, () => edit(s), { class: 'link' }) },
      { label: '部门', render: (s) => s.department_name },
      { label: '收费', render: (s) => fen(s.guide.fee_fen) },
      { label: '承诺时限', render: (s) => `${s.guide.promised_days} 个工作日` },
      { label: '预约', render: (s) => (s.guide.bookable ? badge('可预约', 'green') : '—') },
    ], items, { empty: '没有找到事项' }));
  }

  function edit(svc) {
    const slot = h('div', { class: 'messages' });
    const g = svc.guide;
    const name = input({ value: svc.name, class: 'wide' });
    const fee = input({ value: (g.fee_fen / 100).toFixed(2), class: 'narrow', inputmode: 'decimal' });
    const promised = input({ type: 'number', min: 0, max: 365, value: g.promised_days, class: 'narrow' });
    const statutory = input({ type: 'number', min: 0, max: 365, value: g.statutory_days, class: 'narrow' });
    const bookable = h('input', { type: 'checkbox', checked: g.bookable });
    const status = select([['active', '在办'], ['inactive', '停用']], { value: svc.status });
    const hallBox = h('fieldset', {}, h('legend', {}, '办理大厅'), halls.map((x) => h('label', {},
      h('input', { type: 'checkbox', name: 'svc-halls', value: x.id, checked: (svc.hall_ids || []).includes(x.id) }), ' ', x.name)));
    const mats = materialsEditor(g.materials || []);
    const save = h('button', { type: 'submit', class: 'primary' }, '保存事项');
    const form = h('form', { class: 'card service-editor' }, h('h2', {}, svc.name), slot,
      field('名称', name), field('收费（元）', fee), field('承诺时限（工作日）', promised),
      field('法定时限（工作日）', statutory), field('可预约', bookable), field('状态', status), hallBox, mats,
      h('div', { class: 'actions' }, save));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const feeFen = yuanToFen(fee.value);
      if (Number.isNaN(feeFen)) {
        notice(slot, '收费金额格式不正确，例如 10 或 10.50', 'error');
        return;
      }
      const guide = {
        ...g, fee_fen: feeFen, promised_days: Number(promised.value), statutory_days: Number(statutory.value),
        bookable: bookable.checked, materials: mats.value(),
      };
      for (const k of Object.keys(guide)) if (guide[k] === null) delete guide[k];
      guide.materials = guide.materials.map((m) => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== null)));
      if (status.value === 'inactive' && svc.status !== 'inactive' && !(await confirmDialog(`停用事项 ${svc.name}？`,
        ['停用后群众将查不到该事项；目前的公开列表不含已停用的事项，本页之后也无法再选中它。'],
        { okLabel: '停用', danger: true }))) return;
      const updated = await act(slot, () => patchStaffServicesById(svc.id, { body: {
        name: name.value.trim(), status: status.value, guide,
        hall_ids: [...hallBox.querySelectorAll('input:checked')].map((i) => i.value),
      } }), save);
      if (updated) {
        edit(updated);
        notice(editor.querySelector('.messages'), '事项已保存');
        await load();
      }
    });
    clear(editor, form);
    name.focus();
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
    const slot = h('div', { class: 'messages' });
    const rows = [];
    const body = h('div');
    const addSchedule = (s) => {
      const svc = select(services.map((x) => [x.id, x.name]), { value: s.service_id, class: 'service' });
      const minutes = input({ type: 'number', min: 10, max: 240, value: s.slot_minutes || 60, class: 'narrow' });
      const windows = input({ type: 'number', min: 1, max: 50, value: s.windows || 1, class: 'narrow' });
      const perWindow = input({ type: 'number', min: 1, max: 50, value: s.per_window || 3, class: 'narrow' });
      const releaseDays = input({ type: 'number', min: 0, max: 60, value: s.release_days ?? 7, class: 'narrow' });
      const releaseTime = input({ type: 'time', value: s.release_time || '08:00' });
      const periods = periodsEditor(s.periods || [], '预约时段');
      const card = h('div', { class: 'card schedule' },
        h('h3', {}, s.service_id ? svcName(s.service_id) : '新排班'),
        field('事项', svc), field('时段（分钟）', minutes), field('窗口数', windows), field('每窗口每时段人数', perWindow),
        field('提前放号（天）', releaseDays), field('放号时间', releaseTime),
        s.capacity !== undefined ? h('p', { class: 'muted' }, `当前每时段容量 ${s.capacity} 人`) : null,
        h('details', {}, h('summary', {}, `预约时段（${(s.periods || []).length} 段，点击展开编辑）`), periods),
        button('移除此排班', () => { card.remove(); rows.splice(rows.indexOf(row), 1); }));
      const row = {
        value: () => ({
          service_id: svc.value, periods: periods.value(), slot_minutes: Number(minutes.value),
          windows: Number(windows.value), per_window: Number(perWindow.value),
          release_days: Number(releaseDays.value), release_time: releaseTime.value,
        }),
      };
      rows.push(row);
      body.append(card);
    };
    data.items.forEach(addSchedule);
    const save = button('保存全部排班', async () => {
      const saved = await act(slot, () => putStaffHallsByIdSchedules(hallId, { body: { items: rows.map((r) => r.value()) } }), save);
      if (saved) notice(slot, '排班已保存，新的时段将按放号规则生成');
    }, { class: 'primary' });

    // exceptions
    const exSlot = h('div', { class: 'messages' });
    const exDate = input({ type: 'date', value: today(1) });
    const exKind = select([['closed', '闭厅（停止预约）'], ['open', '加开']], {});
    const exService = select([['', '全部事项'], ...services.map((x) => [x.id, x.name])], {});
    const exStart = input({ type: 'time', value: '09:00' });
    const exEnd = input({ type: 'time', value: '12:00' });
    const exNote = input({ class: 'wide' });
    const exBtn = h('button', { type: 'submit', class: 'primary' }, '添加例外日');
    const exForm = h('form', {}, exSlot, field('日期', exDate), field('类型', exKind), field('事项', exService),
      field('开始（加开）', exStart), field('结束（加开）', exEnd), field('说明', exNote), exBtn);
    exForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = { date: exDate.value, kind: exKind.value, note: exNote.value.trim() };
      if (exService.value) body.service_id = exService.value;
      if (exKind.value === 'open') body.periods = [{ start: exStart.value, end: exEnd.value }];
      if (exKind.value === 'closed') {
        const scope = { dates: [exDate.value] };
        if (exService.value) scope.service_id = exService.value;
        if (!(await confirmClosure(exSlot, hallId, scope, `${exDate.value} 闭厅？`))) return;
      }
      const ex = await act(exSlot, () => postStaffHallsByIdExceptions(hallId, { body }), exBtn);
      if (ex) {
        await load();
        notice(holder.querySelector('.exceptions .messages'),
          `已添加例外日 ${ex.date}${ex.affected_bookings ? `，已取消预约 ${ex.affected_bookings} 个并通知群众` : ''}`);
      }
    });
    clear(holder,
      section('预约排班', slot, body, h('div', { class: 'actions' },
        button('添加排班', () => addSchedule({ service_id: services[0] && services[0].id, periods: [] })), save)),
      h('section', { class: 'card exceptions' }, h('h2', {}, '例外日'),
        table([
          { label: '日期', render: (x) => x.date },
          { label: '类型', render: (x) => (x.kind === 'closed' ? badge('闭厅', 'red') : badge('加开', 'green')) },
          { label: '事项', render: (x) => (x.service_id ? svcName(x.service_id) : '全部') },
          { label: '时段', render: (x) => (x.periods || []).map((p) => `${p.start}–${p.end}`).join('，') || '—' },
          { label: '说明', render: (x) => x.note || '—' },
        ], data.exceptions || [], { empty: '没有例外日' }),
        h('h3', {}, '添加例外日'), exForm));
  }

  picker.addEventListener('change', load);
  await load();
}

function fillClass(rate, released) {
  if (released === false) return 'unreleased';
  if (!rate) return 'fill-0';
  if (rate < 0.5) return 'fill-1';
  if (rate < 0.8) return 'fill-2';
  if (rate < 1) return 'fill-3';
  return 'fill-4';
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

  async function load() {
    const data = await act(msg, () => getStaffHallsByIdCalendar(picker.value, { query: { from: from.value, to: to.value } }));
    if (!data) return;
    const slots = data.items;
    const dates = [...new Set(slots.map((s) => s.date || s.start.slice(0, 10)))].sort();
    const services = [...new Set(slots.map((s) => s.service_name || s.service_id))].sort();
    const out = h('div');
    out.append(h('p', { class: 'legend' }, '图例：',
      [['fill-0', '无预约'], ['fill-1', '低于 50%'], ['fill-2', '50%–79%'], ['fill-3', '80%–99%'], ['fill-4', '已约满'],
        ['unreleased', '未放号']].map(([cls, text]) => h('span', { class: `swatch ${cls}` }, text))));
    // Summary per day.
    out.append(table([
      { label: '日期', render: (d) => d },
      { label: '时段数', render: (d) => slots.filter((s) => (s.date || s.start.slice(0, 10)) === d).length },
      { label: '容量', render: (d) => sum(slots, d, 'capacity') },
      { label: '已约', render: (d) => sum(slots, d, 'booked') },
      { label: '预约率', render: (d) => pct(sum(slots, d, 'booked'), sum(slots, d, 'capacity')) },
      { label: '操作', render: (d) => button('立即放号', async (e) => {
        const r = await act(msg, () => postStaffSlotsRelease({ body: { hall_id: picker.value, date: d } }), e.target);
        if (r) { notice(msg, `已放号 ${r.released} 个时段（${d}）`); await load(); }
      }) },
    ], dates, { caption: '每日汇总', empty: '该期间没有时段' }));
    const grids = h('div', { class: 'cal-grid' });
    out.append(grids);
    for (const svc of services) {
      const mine = slots.filter((s) => (s.service_name || s.service_id) === svc);
      const times = [...new Set(mine.map((s) => fmtHM(s.start)))].sort();
      const grid = h('table', { class: 'calendar' }, h('caption', {}, svc),
        h('thead', {}, h('tr', {}, h('th', {}, '时段'), dates.map((d) => h('th', { scope: 'col' }, d.slice(5))))),
        h('tbody', {}, times.map((t) => h('tr', {}, h('th', { scope: 'row' }, t), dates.map((d) => {
          const s = mine.find((x) => (x.date || x.start.slice(0, 10)) === d && fmtHM(x.start) === t);
          if (!s) return h('td', {}, '');
          const rate = s.fill_rate ?? (s.capacity ? s.booked / s.capacity : 0);
          return h('td', { class: fillClass(rate, s.released), title: `${s.booked}/${s.capacity}` },
            `${s.booked}/${s.capacity}`, h('br'), `${Math.round(rate * 100)}%`);
        })))));
      grids.append(h('section', { class: 'card' }, grid));
    }
    clear(holder, out);
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });
  await load();
}

function sum(slots, date, key) {
  return slots.filter((s) => (s.date || s.start.slice(0, 10)) === date).reduce((a, s) => a + (s[key] || 0), 0);
}

function pct(a, b) {
  return b ? `${Math.round((100 * a) / b)}%` : '—';
}

export default [
  { path: 'hall/halls', title: '大厅与窗口', group: GROUP, roles: ROLES, render: renderHalls },
  { path: 'hall/services', title: '事项与指南', group: GROUP, roles: ROLES, render: renderServices },
  { path: 'hall/schedules', title: '排班与例外', group: GROUP, roles: ROLES, render: renderSchedules },
  { path: 'hall/calendar', title: '时段日历', group: GROUP, roles: ROLES, render: renderCalendar },
];
