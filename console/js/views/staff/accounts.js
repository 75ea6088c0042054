// Staff accounts: the create form, the accounts table and each account's actions (roles, halls and
// departments, disable/enable, password reset, unlocking logins). `scope` is `{halls, departments}`:
// the lists an account may be limited to (none ticked = all of them).
import {
  patchStaffAccountsById, postStaffAccounts, postStaffAccountsByIdPassword, postStaffAccountsByIdUnlock,
} from '../../api/staff.js';
import {
  h, clear, field, input, button, table, act, notice, badge, confirmDialog, ROLE_NAMES,
} from '../../ui.js';

export function roleBoxes(name, checked = []) {
  return h('fieldset', { class: 'roles' },
    h('legend', {}, '角色'),
    Object.entries(ROLE_NAMES).map(([key, label]) => h('label', {},
      h('input', { type: 'checkbox', name, value: key, checked: checked.includes(key) }), ' ', label)));
}

export function checkedValues(container, name) {
  return [...container.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

function scopeBoxes(name, legend, items, checked, cls) {
  if (!items.length) return null;
  return h('fieldset', { class: cls },
    h('legend', {}, legend),
    items.map((x) => h('label', {},
      h('input', { type: 'checkbox', name, value: x.id, checked: checked.includes(x.id) }), ' ', x.name)));
}

function hallBoxes(name, halls, checked = []) {
  return scopeBoxes(name, '所属大厅（不选为全部大厅）', halls, checked, 'scope-halls');
}

function departmentBoxes(name, departments, checked = []) {
  return scopeBoxes(name, '所属部门（不选为全部部门）', departments, checked, 'scope-departments');
}

/** The new-account form; `reload()` runs after an account is made. */
export function createAccountForm(scope, reload) {
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
    hallBoxes('new-halls', scope.halls),
    departmentBoxes('new-departments', scope.departments),
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
      department_ids: checkedValues(createForm, 'new-departments'),
    } }), btn);
    if (created) {
      notice(createSlot, `已新建账号 ${created.username}`);
      createForm.reset();
      await reload();
    }
  });
  return createForm;
}

/** Every account with its actions. */
export function accountsTable(items, scope, reload) {
  const nameIn = (list) => (id) => (list.find((x) => x.id === id) || {}).name || '（已删除）';
  return table([
    { label: '用户名', render: (s) => h('span', { class: 'username' }, s.username) },
    { label: '姓名', render: (s) => s.display_name || '—' },
    { label: '角色', render: (s) => s.roles.map((r) => badge(ROLE_NAMES[r] || r, 'blue')) },
    { label: '所属大厅', render: (s) => (s.hall_ids || []).map(nameIn(scope.halls)).join('、') || '全部' },
    { label: '所属部门', render: (s) => (s.department_ids || []).map(nameIn(scope.departments)).join('、') || '全部' },
    { label: '状态', render: (s) => [s.status === 'active' ? badge('正常', 'green') : badge('已停用', 'red'),
      s.password_change_required ? badge('待本人修改初始密码', 'yellow') : null] },
    { label: '操作', render: (s) => accountActions(s, scope, reload) },
  ], items, { rowAttrs: (s) => ({ dataset: { username: s.username } }) });
}

function rolesEditor(s, scope, slot, reload) {
  const editor = h('div', { hidden: true });
  const save = button('保存', async () => {
    const updated = await act(slot, () => patchStaffAccountsById(s.id, { body: {
      roles: checkedValues(editor, `roles-${s.id}`),
      hall_ids: checkedValues(editor, `halls-${s.id}`),
      department_ids: checkedValues(editor, `departments-${s.id}`),
    } }), save);
    if (updated) await reload();
  }, { class: 'primary' });
  editor.append(roleBoxes(`roles-${s.id}`, s.roles), hallBoxes(`halls-${s.id}`, scope.halls, s.hall_ids || []),
    departmentBoxes(`departments-${s.id}`, scope.departments, s.department_ids || []), save);
  return editor;
}

function statusButton(s, slot, reload) {
  const status = button(s.status === 'active' ? '停用' : '启用', async () => {
    const disabling = s.status === 'active';
    if (disabling && !(await confirmDialog(`停用账号 ${s.username}？`, ['停用后该账号立即退出所有登录，无法再登录。'],
      { okLabel: '停用', danger: true }))) return;
    const updated = await act(slot, () => patchStaffAccountsById(s.id,
      { body: { status: disabling ? 'disabled' : 'active' } }), status);
    if (updated) await reload();
  });
  return status;
}

function resetButton(s, slot) {
  return button('重置密码', async () => {
    const pw = input({ type: 'password', autocomplete: 'new-password', 'aria-label': `${s.username} 的新密码` });
    const ok = button('确定重置', async () => {
      const done = await act(slot, () => postStaffAccountsByIdPassword(s.id, { body: { password: pw.value } }), ok);
      if (done) notice(slot, '密码已重置，该账号需用新密码重新登录。');
    }, { class: 'primary' });
    clear(slot, field('新密码', pw), ok);
    pw.focus();
  });
}

function unlockButton(s, slot) {
  const unlock = button('解除登录限制', async () => {
    const done = await act(slot, () => postStaffAccountsByIdUnlock(s.id), unlock);
    if (done) notice(slot, `已解除 ${s.username} 的登录限制。`);
  });
  return unlock;
}

export function accountActions(s, scope, reload) {
  const slot = h('div', { class: 'messages' });
  const box = h('div', { class: 'row-actions' }, slot);
  const editor = rolesEditor(s, scope, slot, reload);
  const toggle = button('编辑角色', () => {
    editor.hidden = !editor.hidden;
  });
  box.append(h('div', { class: 'actions' }, toggle, statusButton(s, slot, reload), resetButton(s, slot),
    unlockButton(s, slot)), editor);
  return box;
}
