// 实名找回 at the window: a resident's ID number is bound to another WeChat account. The resident
// first passes face verification on their own phone (the mini-program's real-name page records it
// when it says the number is bound elsewhere); the clerk checks the physical ID card against the
// person and enters the name and number from it. The other account's binding ends and all its
// logins end; the resident's account is bound; both are told; the reclaim is in the audit log.
import { postStaffRealnameReclaims } from '../api/staff.js';
import { h, clear, field, input, act, pageHeader, section, confirmDialog } from '../ui.js';

function reclaimForm() {
  const name = input({ name: 'name', autocomplete: 'off', maxlength: '30' });
  const idNumber = input({ name: 'id_number', autocomplete: 'off', spellcheck: 'false', maxlength: '18' });
  const checked = h('input', { type: 'checkbox', name: 'id_card_checked' });
  const form = h('form', { class: 'card' },
    field('姓名', name, '按居民身份证原件填写'),
    field('身份证号', idNumber, '按居民身份证原件填写'),
    h('label', { class: 'check' }, checked, ' 已当面核验居民身份证原件，证件照片与本人一致'),
    h('button', { type: 'submit', class: 'primary' }, '办理实名找回'));
  return { form, name, idNumber, checked };
}

function resultCard(r) {
  return h('div', { class: 'card', role: 'status' },
    h('p', {}, `已为居民 ${r.user.name_masked || ''}（身份证号 ${r.user.id_number_masked || ''}）找回实名身份。`),
    h('p', { class: 'muted' }, '原绑定账号的实名认证已解除、所有登录已退出；双方均已收到通知，本次办理已记入审计日志。'));
}

async function renderReclaim(main) {
  const msg = pageHeader(main, '实名找回',
    '居民的身份证号被其他微信账号绑定时办理。请居民先用本人微信在指尖办小程序“实名认证”页提交并完成人脸核身（提示已被绑定即可），'
    + '10 分钟内到窗口出示居民身份证原件。');
  const f = reclaimForm();
  const result = h('div', { 'aria-live': 'polite' });
  main.append(f.form, section('办理结果', result));
  f.form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { name: f.name.value.trim(), id_number: f.idNumber.value.trim().toUpperCase(),
      id_card_checked: f.checked.checked };
    if (!(await confirmDialog('确认办理实名找回？', ['原绑定账号将被解除实名认证并退出所有登录。'], { danger: true }))) return;
    const r = await act(msg, () => postStaffRealnameReclaims({ body }), f.form.querySelector('button[type=submit]'));
    if (r) {
      f.form.reset();
      clear(result, resultCard(r));
    }
  });
  f.name.focus();
}

export default [
  { path: 'clerk/realname-reclaim', title: '实名找回', group: '窗口受理', roles: ['clerk', 'hall_manager'],
    render: renderReclaim },
];
