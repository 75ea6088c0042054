// Admin: staff accounts and roles; the searchable audit log (supervisors may read it too).
import { getDepartments, getHalls } from '../api/catalogue.js';
import {
  getStaffAccounts, getStaffAudit, getStaffLoginThrottles, postStaffLoginThrottlesByIdClear,
} from '../api/staff.js';
import { h, clear, button, table, act, notice, pageHeader, section, badge, fmtTime, showError } from '../ui.js';
import { accountsTable, createAccountForm } from '../views/staff/accounts.js';
import { auditSearch, auditTable, catalogueNames } from '../views/staff/audit.js';

async function renderAccounts(main) {
  const msg = pageHeader(main, '账号与角色',
    '新建工作人员账号，分配角色、大厅与部门（不选为全部），停用账号，重置密码或解除登录限制。');
  const [halls, departments] = await Promise.all([act(msg, () => getHalls()), act(msg, () => getDepartments())]);
  const scope = { halls: halls ? halls.items : [], departments: departments ? departments.items : [] };
  const listSlot = h('div');
  const load = async () => {
    const data = await act(msg, () => getStaffAccounts());
    if (data) clear(listSlot, accountsTable(data.items, scope, load));
  };
  main.append(section('新建账号', createAccountForm(scope, load)), section('全部账号', listSlot));
  await load();
}

async function renderAudit(main) {
  const msg = pageHeader(main, '审计日志', '按关键字、操作、操作人或对象检索；所有工作人员的写操作都记录在此。');
  const names = await catalogueNames();
  const search = auditSearch();
  const results = h('div');
  const more = button('加载更多', () => load(true), { hidden: true });
  main.append(search.form, section('记录', results, more));
  let cursor = null;
  let rows = [];

  async function load(append = false) {
    const data = await act(msg, () => getStaffAudit({ query: search.query(append ? cursor : undefined) }), more);
    if (!data) return;
    rows = append ? rows.concat(data.items) : data.items;
    cursor = data.next_cursor;
    more.hidden = !cursor;
    clear(results, auditTable(rows, names));
  }

  search.form.addEventListener('submit', (e) => {
    e.preventDefault();
    load(false);
  });
  try {
    await load(false);
  } catch (err) {
    showError(msg, err);
  }
}

const THROTTLE_KINDS = {
  account_address: '账号 + 地址', address: '地址（已有账号）', unknown_address: '地址（不存在的用户名）',
};

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
