// 一件事 at the window and in finance: find a bundle by its serial (YJS…), see each of its cases and
// where it stands, and its one payment order — which finance raises here for the whole bundle
// (one item per charged service, paid once, the receipt itemised).
import { getStaffBundles, getStaffBundlesById, postStaffBundlesByIdPayment } from '../api/bundles.js';
import { h, clear, field, input, button, act, notice, pageHeader, section, table, badge, fen, fmtTime, PAYMENT_STATUS } from '../ui.js';
import { statusBadge } from '../views/case/list.js';
import { myRoles } from '../api.js';

function casesOf(b) {
  return table([
    { label: '办件编号', render: (c) => h('a', { href: `#/case/${c.id}`, class: 'serial' }, c.serial) },
    { label: '事项', render: (c) => c.service_name },
    { label: '承办部门', render: (c) => c.department_name || '—' },
    { label: '状态', render: (c) => statusBadge(c.status, c.outcome) },
  ], b.applications || [], { empty: '没有办件', rowAttrs: (c) => ({ dataset: { serial: c.serial } }) });
}

function paymentPart(b, reload) {
  const slot = h('div', { class: 'messages' });
  if (b.payment) {
    const p = b.payment;
    return h('div', { class: 'bundle-payment', dataset: { status: p.status } }, slot,
      h('p', {}, `一张缴款单，合计 ${fen(p.amount_fen)}　`, badge(PAYMENT_STATUS[p.status] || p.status,
        p.status === 'paid' ? 'green' : 'blue'), p.receipt_id ? '　已开具电子票据' : ''));
  }
  if (!myRoles().has('finance')) return h('p', { class: 'muted bundle-payment' }, '尚未开具缴款单（由财务人员开具）');
  const raise = button('开具一张缴款单', async (e) => {
    const p = await act(slot, () => postStaffBundlesByIdPayment(b.id), e.target);
    if (p) await reload(`已开具缴款单，合计 ${fen(p.amount_fen)}`);
  }, { class: 'primary' });
  return h('div', { class: 'bundle-payment' }, slot,
    h('p', { class: 'muted' }, '为这件事的全部收费事项开具一张缴款单，群众一次缴清。'), h('div', { class: 'actions' }, raise));
}

function bundleCard(b, reload) {
  return h('article', { class: 'card bundle', dataset: { serial: b.serial } },
    h('h2', {}, `${b.name} · ${b.serial}`),
    h('p', {}, badge(b.status_name || b.status, b.done ? 'green' : 'blue'), `　申请时间 ${fmtTime(b.created_at)}`,
      b.done_at ? `　办结时间 ${fmtTime(b.done_at)}` : ''),
    section('办件', casesOf(b)), section('缴费', paymentPart(b, reload)));
}

async function renderBundles(main) {
  const msg = pageHeader(main, '一件事', '按一件事编号（YJS 开头）查找，查看其中每个办件的进度；财务人员在此为整件事开具一张缴款单。');
  const q = input({ name: 'bundle-serial', autocomplete: 'off', maxlength: 40, placeholder: '如 YJS20261130000004' });
  const form = h('form', { class: 'card', role: 'search' }, field('一件事编号', q), h('button', { type: 'submit' }, '查找'));
  const results = h('div', { 'aria-live': 'polite' });
  main.append(form, results);

  async function show(id, said) {
    const b = await act(msg, () => getStaffBundlesById(id));
    if (!b) return;
    clear(results, bundleCard(b, (text) => show(b.id, text)));
    if (said) notice(msg, said);
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(results);
    const serial = q.value.trim().toUpperCase();
    if (serial.length < 4) {
      notice(msg, '请输入一件事编号', 'error');
      return;
    }
    const data = await act(msg, () => getStaffBundles({ query: { serial } }), form.querySelector('button'));
    if (!data) return;
    if (!data.items.length) clear(results, h('p', { class: 'muted empty' }, '未找到该一件事，请核对编号'));
    else await show(data.items[0].id);
  });
  q.focus();
}

export default [
  { path: 'bundles', title: '一件事', group: '办件', roles: ['clerk', 'approver', 'finance', 'supervisor'], render: renderBundles },
];
