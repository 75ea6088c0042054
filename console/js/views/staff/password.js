// The first thing an account an administrator made or reset sees: changing that password. Until it
// does, the server answers nothing else (403 password_change_required), so the administrator's
// password never acts; afterwards the same session goes on with the account's roles.
import { postStaffMePassword } from '../../api/staff.js';
import { h, clear, field, input, errorBox } from '../../ui.js';

/** The change form; `changed()` runs once the new password is set. */
export function firstPasswordForm(staff, changed) {
  const current = input({ name: 'current-password', type: 'password', autocomplete: 'current-password', required: true });
  const fresh = input({ name: 'new-password', type: 'password', autocomplete: 'new-password', required: true });
  const again = input({ name: 'new-password-again', type: 'password', autocomplete: 'new-password', required: true });
  const slot = h('div', { class: 'messages', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: 'primary' }, '修改密码');
  const form = h('form', { class: 'first-password card', novalidate: true },
    h('h1', { tabindex: '-1' }, '请先修改初始密码'),
    h('p', { class: 'sub' }, `${staff.display_name || staff.username}，您的密码由管理员设置。`
      + '为保证只有您本人能使用此账号，请先改为只有您知道的新密码，之后才能办理业务。'),
    slot,
    field('当前密码', current, '管理员告知您的密码'),
    field('新密码', fresh, '至少 10 位，不含用户名，不能与当前密码相同'),
    field('再次输入新密码', again),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(slot);
    if (!current.value || !fresh.value) {
      slot.append(h('div', { class: 'alert error', role: 'alert' }, '请输入当前密码和新密码'));
      return;
    }
    if (fresh.value !== again.value) {
      slot.append(h('div', { class: 'alert error', role: 'alert' }, '两次输入的新密码不一致'));
      again.focus();
      return;
    }
    submit.disabled = true;
    try {
      await postStaffMePassword({ body: { current_password: current.value, new_password: fresh.value } });
      await changed();
    } catch (err) {
      slot.append(errorBox(err));
    } finally {
      submit.disabled = false;
    }
  });
  return { form, first: current };
}
