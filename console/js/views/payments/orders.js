// Payment orders: their badge, the fee items editor, the new-order form (confirmed against the case),
// the orders table and one order's detail with closing it or a full or partial refund.
import { getStaffApplications } from '../../api/cases.js';
import { postStaffPayments, postStaffPaymentsByIdClose, postStaffPaymentsByIdRefunds } from '../../api/payments.js';
import {
  h, field, input, button, table, act, notice, badge, fen, yuanToFen, fmtTime, confirmDialog, newRequestId,
  PAYMENT_STATUS, REFUND_STATUS,
} from '../../ui.js';

export function payBadge(status, text) {
  const kind = { paid: 'green', unpaid: 'yellow', refunded: 'red', refunding: 'yellow' }[status] || '';
  return badge(text || PAYMENT_STATUS[status] || status, kind);
}

/** The editor's fee items, or null (and a notice in `slot`) while one lacks a name or an amount. */
export function filledItems(items, slot) {
  const its = items.value();
  if (!its.length || its.some((i) => !i.name || Number.isNaN(i.amount_fen) || i.amount_fen <= 0)) {
    notice(slot, '请填写收费项目名称和金额（元，最多两位小数）', 'error');
    return null;
  }
  return its;
}

export function itemsEditor() {
  const body = h('tbody');
  const addRow = (name = '', amount = '') => {
    const tr = h('tr', { class: 'item' },
      h('td', {}, h('input', { type: 'text', value: name, class: 'name', 'aria-label': '收费项目' })),
      h('td', {}, h('input', { type: 'text', value: amount, class: 'amount narrow', inputmode: 'decimal', 'aria-label': '金额（元）' })),
      h('td', {}, button('删除', () => tr.remove())));
    body.append(tr);
  };
  addRow('工本费', '');
  const el = h('div', {}, h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, h('th', {}, '收费项目'), h('th', {}, '金额（元）'), h('th', {}, '操作'))), body),
    button('添加收费项目', () => addRow()));
  el.value = () => [...body.querySelectorAll('tr.item')].map((tr) => ({
    name: tr.querySelector('.name').value.trim(), amount_fen: yuanToFen(tr.querySelector('.amount').value),
  }));
  return el;
}

/** A new fee order for a case named by its serial (办件编号): the case and who pays are shown
 * (masked) for confirmation before the order is opened. */
export function newOrderForm(onCreated) {
  const slot = h('div', { class: 'messages' });
  const serial = input({ name: 'serial', class: 'wide', autocomplete: 'off', maxlength: 32, placeholder: 'ZJB…' });
  const items = itemsEditor();
  const createBtn = h('button', { type: 'submit', class: 'primary' }, '开具缴款单');
  const form = h('form', { class: 'create-payment' }, slot, field('办件编号', serial), items, createBtn);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const its = filledItems(items, slot);
    if (!its) return;
    const wanted = serial.value.replace(/\s+/g, '').toUpperCase();
    const found = wanted && await act(slot, () => getStaffApplications({ query: { serial: wanted } }), createBtn);
    if (!found) {
      if (!wanted) notice(slot, '请填写办件编号', 'error');
      return;
    }
    const c = found.items[0];
    if (!c) {
      notice(slot, `未找到办件 ${wanted}，请核对办件编号`, 'error');
      serial.focus();
      return;
    }
    const payer = c.applicant || {};
    const total = its.reduce((a, i) => a + i.amount_fen, 0);
    const ok = await confirmDialog('开具缴款单？', [`办件 ${c.serial} ${c.service_name || ''}`,
      `缴款人 ${payer.name_masked || '—'} ${payer.id_number_masked || ''}`, `合计 ${fen(total)}`]);
    if (!ok) return;
    const p = await act(slot, () => postStaffPayments({ body: { serial: c.serial, items: its } }), createBtn);
    if (p) {
      notice(slot, `已开具缴款单，金额 ${fen(p.amount_fen)}，等待申请人支付`);
      await onCreated(p);
    }
  });
  return form;
}

export function paymentsTable(items, onOpen) {
  return table([
    { label: '办件', render: (p) => p.serial || p.application_id || '—' },
    { label: '事项', render: (p) => p.service_name || '—' },
    { label: '金额', render: (p) => fen(p.amount_fen) },
    { label: '状态', render: (p) => payBadge(p.status, p.status_text) },
    { label: '已退', render: (p) => (p.refunded_fen ? fen(p.refunded_fen) : '—') },
    { label: '开具时间', render: (p) => fmtTime(p.created_at) },
    { label: '操作', render: (p) => button('详情', () => onOpen(p.id)) },
  ], items, { empty: '没有缴款单', rowAttrs: (p) => ({ dataset: { payment: p.id, status: p.status } }) });
}

function paymentFacts(p) {
  return h('dl', { class: 'props' },
    h('dt', {}, '办件'), h('dd', {}, `${p.serial || p.application_id || '—'} ${p.service_name || ''}`),
    h('dt', {}, '状态'), h('dd', { class: 'status' }, payBadge(p.status, p.status_text)),
    h('dt', {}, '金额'), h('dd', {}, fen(p.amount_fen)),
    h('dt', {}, '收费项目'), h('dd', {}, (p.items || []).map((i) => `${i.name} ${fen(i.amount_fen)}`).join('；')),
    h('dt', {}, '支付渠道'), h('dd', {}, p.paid_channel ? (p.paid_channel === 'wechat' ? '微信支付' : '支付宝') : '—'),
    h('dt', {}, '支付时间'), h('dd', {}, fmtTime(p.paid_at)),
    h('dt', {}, '已退款'), h('dd', {}, fen(p.refunded_fen || 0)),
    h('dt', {}, '票据'), h('dd', {}, p.receipt_id || '—'));
}

function refundsTable(refunds) {
  return table([
    { label: '金额', render: (r) => fen(r.amount_fen) },
    { label: '原因', render: (r) => r.reason || '—' },
    { label: '状态', render: (r) => badge(REFUND_STATUS[r.status] || r.status, r.status === 'success' ? 'green' : 'yellow') },
    { label: '时间', render: (r) => fmtTime(r.created_at) },
  ], refunds, { empty: '无退款' });
}

/** 关闭缴款单 for an unpaid order; onClosed runs once it is closed. */
function closeAction(p, slot, onClosed) {
  const close = button('关闭缴款单', async () => {
    if (!(await confirmDialog('关闭该缴款单？', ['关闭后申请人将无法支付。'], { okLabel: '关闭', danger: true }))) return;
    const r = await act(slot, () => postStaffPaymentsByIdClose(p.id, { body: { reason: '工作人员关闭' } }), close);
    if (r) await onClosed();
  }, { class: 'danger' });
  return h('div', { class: 'actions' }, close);
}

/** The amount a refund form asks for, in fen, or a message saying what is wrong. */
function refundAmount(full, amount, reason, refundable) {
  const amountFen = full.checked ? refundable : yuanToFen(amount.value);
  if (Number.isNaN(amountFen) || amountFen <= 0 || amountFen > refundable) {
    return { error: `退款金额须大于 0 且不超过 ${fen(refundable)}` };
  }
  if (!reason.value.trim()) return { error: '请填写退款原因', focus: reason };
  return { amountFen };
}

function confirmRefund(p, amountFen, full, reason) {
  return confirmDialog('确认退款？', [
    `${full.checked ? '全额' : '部分'}退款 ${fen(amountFen)}，原路退回申请人的${p.paid_channel === 'alipay' ? '支付宝' : '微信'}账户。`,
    `原因：${reason.value.trim()}`, '退款提交后不能撤回。'], { okLabel: '确认退款', danger: true });
}

/** Full or partial refund of a paid order; onRefunded(refund) runs once it is submitted. */
function refundForm(p, slot, refundable, onRefunded) {
  const full = h('input', { type: 'radio', name: 'refund-kind', value: 'full', checked: true });
  const part = h('input', { type: 'radio', name: 'refund-kind', value: 'partial' });
  const amount = input({ name: 'refund-amount', class: 'narrow', inputmode: 'decimal', disabled: true, 'aria-label': '退款金额（元）' });
  const reason = input({ name: 'refund-reason', class: 'wide', 'aria-label': '退款原因' });
  full.addEventListener('change', () => { amount.disabled = true; });
  part.addEventListener('change', () => { amount.disabled = false; amount.focus(); });
  const requestId = newRequestId(); // one refund per opened form, even if the button is pressed twice
  const go = h('button', { type: 'submit', class: 'danger' }, '退款');
  const form = h('form', { class: 'refund' },
    h('h3', {}, `退款（可退 ${fen(refundable)}）`),
    h('fieldset', {}, h('legend', {}, '退款方式'), h('label', {}, full, ' 全额退款'), h('label', {}, part, ' 部分退款')),
    field('退款金额（元）', amount), field('退款原因', reason), go);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const { amountFen, error, focus } = refundAmount(full, amount, reason, refundable);
    if (error) {
      notice(slot, error, 'error');
      if (focus) focus.focus();
      return;
    }
    if (!(await confirmRefund(p, amountFen, full, reason))) return;
    const r = await act(slot, () => postStaffPaymentsByIdRefunds(p.id, { body: {
      amount_fen: amountFen, reason: reason.value.trim(), request_id: requestId,
    } }), go);
    if (r) await onRefunded(r);
  });
  return form;
}

/** One order's detail; `reopen()` shows it again after a change, `refunded(refund)` after a refund. */
export function paymentDetail(p, reopen, refunded) {
  const dslot = h('div', { class: 'messages' });
  const refundable = p.amount_fen - (p.refunded_fen || 0) - (p.refunding_fen || 0);
  return h('section', { class: 'card' },
    h('h2', {}, `缴款单 ${p.out_trade_no || p.id}`), dslot, paymentFacts(p),
    h('h3', {}, '退款记录'), refundsTable(p.refunds || []),
    p.status === 'unpaid' ? closeAction(p, dslot, reopen) : null,
    (p.status === 'paid' || p.status === 'refunding') && refundable > 0 ? refundForm(p, dslot, refundable, refunded) : null);
}
