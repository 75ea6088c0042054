// Admin: staff accounts and roles; the searchable audit log (supervisors may read it too).
import { getHalls, getServices } from '../api/catalogue.js';
import {
  getStaffAccounts, getStaffAudit, getStaffLoginThrottles, patchStaffAccountsById, postStaffAccounts,
  postStaffAccountsByIdPassword, postStaffAccountsByIdUnlock, postStaffLoginThrottlesByIdClear,
} from '../api/staff.js';
import {
  h, clear, field, input, select, button, table, act, notice, pageHeader, section, badge, fmtTime, fen,
  confirmDialog, ROLE_NAMES, CASE_STATUS, showError,
} from '../ui.js';
import { AUDIT_LABELS } from '../audit-labels.js';

function roleBoxes(name, checked = []) {
  return h('fieldset', { class: 'roles' },
    h('legend', {}, '角色'),
    Object.entries(ROLE_NAMES).map(([key, label]) => h('label', {},
      h('input', { type: 'checkbox', name, value: key, checked: checked.includes(key) }), ' ', label)));
}

function checkedValues(container, name) {
  return [...container.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

function hallBoxes(name, halls, checked = []) {
  if (!halls.length) return null;
  return h('fieldset', {},
    h('legend', {}, '所属大厅（窗口人员可见的大厅）'),
    halls.map((hl) => h('label', {},
      h('input', { type: 'checkbox', name, value: hl.id, checked: checked.includes(hl.id) }), ' ', hl.name)));
}

async function renderAccounts(main) {
  const msg = pageHeader(main, '账号与角色', '新建工作人员账号，分配角色与大厅，停用账号，重置密码或解除登录限制。');
  let halls = [];
  try {
    halls = (await getHalls()).items;
  } catch {
    halls = [];
  }
  const hallName = (id) => (halls.find((x) => x.id === id) || {}).name || id;

  // -- create --
  const username = input({ name: 'new-username', autocomplete: 'off', required: true });
  const display = input({ name: 'new-display-name', autocomplete: 'off' });
  const password = input({ name: 'new-password', type: 'password', autocomplete: 'new-password', required: true });
  const createSlot = h('div', { class: 'messages' });
  const createForm = h('form', { class: 'create-account' },
    createSlot,
    field('用户名', username, '3–32 位小写字母、数字或 _ . -'),
    field('姓名', display),
    field('初始密码', password, '至少 10 位，不含用户名'),
    roleBoxes('new-roles'),
    hallBoxes('new-halls', halls),
    h('button', { type: 'submit', class: 'primary' }, '新建账号'));
  createForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const btn = createForm.querySelector('button[type=submit]');
    const created = await act(createSlot, () => postStaffAccounts({ body: {
      username: username.value.trim(),
      display_name: display.value.trim(),
      password: password.value,
      roles: checkedValues(createForm, 'new-roles'),
      hall_ids: checkedValues(createForm, 'new-halls'),
    } }), btn);
    if (created) {
      notice(createSlot, `已新建账号 ${created.username}`);
      createForm.reset();
      await load();
    }
  });

  const listSlot = h('div');
  main.append(section('新建账号', createForm), section('全部账号', listSlot));

  async function load() {
    const data = await act(msg, () => getStaffAccounts());
    if (!data) return;
    clear(listSlot, table([
      { label: '用户名', render: (s) => h('span', { class: 'username' }, s.username) },
      { label: '姓名', render: (s) => s.display_name || '—' },
      { label: '角色', render: (s) => s.roles.map((r) => badge(ROLE_NAMES[r] || r, 'blue')) },
      { label: '所属大厅', render: (s) => (s.hall_ids || []).map(hallName).join('、') || '—' },
      { label: '状态', render: (s) => (s.status === 'active' ? badge('正常', 'green') : badge('已停用', 'red')) },
      { label: '操作', render: (s) => accountActions(s) },
    ], data.items, { rowAttrs: (s) => ({ dataset: { username: s.username } }) }));
  }

  function accountActions(s) {
    const slot = h('div', { class: 'messages' });
    const box = h('div', { class: 'row-actions' }, slot);
    const editor = h('div', { hidden: true });
    const toggle = button('编辑角色', () => {
      editor.hidden = !editor.hidden;
    });
    const roles = roleBoxes(`roles-${s.id}`, s.roles);
    const hallsBox = hallBoxes(`halls-${s.id}`, halls, s.hall_ids || []);
    const save = button('保存', async () => {
      const updated = await act(slot, () => patchStaffAccountsById(s.id, { body: {
        roles: checkedValues(editor, `roles-${s.id}`),
        hall_ids: checkedValues(editor, `halls-${s.id}`),
      } }), save);
      if (updated) await load();
    }, { class: 'primary' });
    editor.append(roles, hallsBox, save);
    const status = button(s.status === 'active' ? '停用' : '启用', async () => {
      const disabling = s.status === 'active';
      if (disabling && !(await confirmDialog(`停用账号 ${s.username}？`, ['停用后该账号立即退出所有登录，无法再登录。'],
        { okLabel: '停用', danger: true }))) return;
      const updated = await act(slot, () => patchStaffAccountsById(s.id,
        { body: { status: disabling ? 'disabled' : 'active' } }), status);
      if (updated) await load();
    });
    const reset = button('重置密码', async () => {
      const pw = input({ type: 'password', autocomplete: 'new-password', 'aria-label': `${s.username} 的新密码` });
      const ok = button('确定重置', async () => {
        const done = await act(slot, () => postStaffAccountsByIdPassword(s.id, { body: { password: pw.value } }), ok);
        if (done) notice(slot, '密码已重置，该账号需用新密码重新登录。');
      }, { class: 'primary' });
      clear(slot, field('新密码', pw), ok);
      pw.focus();
    });
    const unlock = button('解除登录限制', async () => {
      const done = await act(slot, () => postStaffAccountsByIdUnlock(s.id), unlock);
      if (done) notice(slot, `已解除 ${s.username} 的登录限制。`);
    });
    box.append(h('div', { class: 'actions' }, toggle, status, reset, unlock), editor);
    return box;
  }

  await load();
}

// The audit log in words: actions, outcomes, targets and detail fields from backend/audit/labels.py.
const WORDS = AUDIT_LABELS;

function actionLabel(code) {
  return WORDS.actions[code] || code;
}

function describeActor(a) {
  if (!a) return '—';
  if (a.type === 'staff') return a.username || '工作人员';
  if (a.type === 'resident') return '群众（本人）';
  if (a.type === 'system') {
    const id = a.id || '';
    const name = WORDS.system_actors[id] || id.split('-').map((p) => WORDS.system_actors[p] || p).join(' · ');
    return `系统：${name}`;
  }
  return a.username || '—';
}

/** Names of halls and services the details refer to by id (the public catalogue lists). */
async function catalogueNames() {
  const names = { hall: new Map(), service: new Map() };
  const [halls, services] = await Promise.all([
    getHalls().catch(() => ({ items: [] })), getServices().catch(() => ({ items: [] }))]);
  halls.items.forEach((x) => names.hall.set(x.id, x.name));
  services.items.forEach((x) => names.service.set(x.id, x.name));
  return names;
}

/** One detail value in words, by the field it belongs to. */
function detailValue(key, value, names) {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) {
    return value.length ? value.map((v) => detailValue(key, v, names)).join('、') : '—';
  }
  if (typeof value === 'object') {
    return Object.entries(value).map(([k, v]) => `${WORDS.fields[k] || k}：${detailValue(k, v, names)}`).join('；');
  }
  if (typeof value === 'boolean') return value ? '是' : '否';
  const coded = WORDS.values[key];
  if (coded && coded[value]) return coded[value];
  switch (key) {
    case 'amount_fen': return fen(value);
    case 'from': return CASE_STATUS[value] || value;
    case 'roles': return ROLE_NAMES[value] || value;
    case 'fields': return WORDS.fields[value] || value;
    case 'handling': {  // "case:<serial>": what ties the staff member to the resident
      const [kind, ...ref] = String(value).split(':');
      return `${WORDS.targets[kind] || kind} ${ref.join(':')}`.trim();
    }
    case 'hall_id': case 'hall_ids': return names.hall.get(value) || value;
    case 'service_id': case 'services': return value === '*' ? '全部事项' : (names.service.get(value) || value);
    default: return String(value);
  }
}

/** An entry's details as labelled fields. */
function detailsList(details, names) {
  const entries = Object.entries(details || {});
  if (!entries.length) return '—';
  return h('dl', { class: 'props details' }, entries.map(([k, v]) => [
    h('dt', {}, WORDS.fields[k] || k), h('dd', {}, detailValue(k, v, names))]));
}

function targetCell(t) {
  if (!t || !t.type) return '—';
  return h('span', {}, WORDS.targets[t.type] || t.type,
    t.id ? h('small', { class: 'muted target-id' }, ` ${t.id}`) : null);
}

function outcomeBadge(outcome) {
  const o = outcome || 'ok';
  return badge(WORDS.outcomes[o] || o, o === 'ok' ? 'green' : 'red');
}

async function renderAudit(main) {
  const msg = pageHeader(main, '审计日志', '按关键字、操作、操作人或对象检索；所有工作人员的写操作都记录在此。');
  const names = await catalogueNames();
  const q = input({ name: 'q', type: 'search', placeholder: '用户名、对象编号等' });
  const action = select([['', '全部操作'], ...Object.entries(WORDS.actions)], { name: 'action' });
  const actor = input({ name: 'actor_id', placeholder: '操作人编号' });
  const targetType = select([['', '全部对象'], ...Object.entries(WORDS.targets)], { name: 'target_type' });
  const targetId = input({ name: 'target_id', placeholder: '对象编号' });
  const form = h('form', { class: 'card', role: 'search' },
    field('关键字', q), field('操作', action), field('操作人编号', actor), field('对象类型', targetType),
    field('对象编号', targetId), h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, '检索')));
  const results = h('div');
  const more = button('加载更多', () => load(true), { hidden: true });
  main.append(form, section('记录', results, more));
  let cursor = null;
  let rows = [];

  async function load(append = false) {
    const query = {
      q: q.value.trim(), action: action.value, actor_id: actor.value.trim(), target_type: targetType.value,
      target_id: targetId.value.trim(), limit: 50, cursor: append ? cursor : undefined,
    };
    const data = await act(msg, () => getStaffAudit({ query }), more);
    if (!data) return;
    rows = append ? rows.concat(data.items) : data.items;
    cursor = data.next_cursor;
    more.hidden = !cursor;
    clear(results, table([
      { label: '时间', render: (e) => h('span', { class: 'nowrap' }, fmtTime(e.at)) },
      { label: '操作人', render: (e) => describeActor(e.actor) },
      { label: '操作', render: (e) => h('span', { class: 'action' }, actionLabel(e.action)) },
      { label: '对象', render: (e) => targetCell(e.target) },
      { label: '结果', render: (e) => outcomeBadge(e.outcome) },
      { label: '详情', render: (e) => detailsList(e.details, names) },
      { label: 'IP 地址', render: (e) => e.ip || '—' },
    ], rows, { empty: '没有符合条件的记录', rowAttrs: (e) => ({ dataset: { action: e.action, outcome: e.outcome || 'ok' } }) }));
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load(false);
  });
  try {
    await load(false);
  } catch (err) {
    showError(msg, err);
  }
}

const THROTTLE_KINDS = { account_address: '账号 + 地址', address: '地址（所有账号）' };

async function renderThrottles(main) {
  const msg = pageHeader(main, '登录限制',
    '同一地址连续登录失败后，该地址须等待一段时间再试（等待时间逐次加长）；其他地址的登录不受影响。'
    + '此处列出近一小时内有失败记录的账号与地址，可逐条解除。');
  const listSlot = h('div');
  main.append(section('近期登录失败', listSlot));

  async function load() {
    const data = await act(msg, () => getStaffLoginThrottles());
    if (!data) return;
    clear(listSlot, table([
      { label: '类型', render: (t) => THROTTLE_KINDS[t.kind] || t.kind },
      { label: '用户名', render: (t) => t.username || '（全部）' },
      { label: '地址', render: (t) => h('code', {}, t.ip) },
      { label: '失败次数', render: (t) => String(t.failures) },
      { label: '最近一次失败', render: (t) => h('span', { class: 'nowrap' }, fmtTime(t.last_failure_at)) },
      { label: '状态', render: (t) => (t.blocked_until ? badge(`等待至 ${fmtTime(t.blocked_until)}`, 'red') : badge('可登录', 'green')) },
      { label: '操作', render: (t) => clearButton(t) },
    ], data.items, { empty: '近一小时没有登录失败记录', rowAttrs: (t) => ({ dataset: { throttle: t.id } }) }));
  }

  function clearButton(t) {
    const slot = h('div', { class: 'messages' });
    const btn = button('解除', async () => {
      const done = await act(slot, () => postStaffLoginThrottlesByIdClear(t.id), btn);
      if (done) notice(slot, '已解除');
    });
    return h('div', { class: 'row-actions' }, slot, btn);
  }

  await load();
}

export default [
  { path: 'admin/accounts', title: '账号与角色', group: '系统管理', roles: ['admin'], render: renderAccounts },
  { path: 'admin/audit', title: '审计日志', group: '系统管理', roles: ['admin', 'supervisor'], render: renderAudit },
  { path: 'admin/throttles', title: '登录限制', group: '系统管理', roles: ['admin'], render: renderThrottles },
];
