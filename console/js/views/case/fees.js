// Fees of a case at the window: its payment orders, and opening a new one (clerks may).
import { getStaffPayments, postStaffPayments } from '../../api/payments.js';
import { h, clear, table, act, notice, fen, fmtTime, confirmDialog } from '../../ui.js';
import { filledItems, itemsEditor, payBadge } from '../payments/orders.js';

// A finished case takes no new payment order.
const FINISHED = new Set(['completed', 'rejected', 'withdrawn']);

function caseOrdersTable(items) {
  return table([
    { label: '金额', render: (p) => fen(p.amount_fen) },
    { label: '项目', render: (p) => (p.case_items || p.items || []).map((i) => `${i.name}（${i.payee_unit || '—'}）`).join('、') },
    { label: '状态', render: (p) => (p.case_note ? h('span', {}, payBadge(p.status, p.status_text), ` ${p.case_note}`) : payBadge(p.status, p.status_text)) },
    { label: '开具时间', render: (p) => fmtTime(p.created_at) },
  ], items, { empty: '未开具缴款单' });
}

/** Fees of the case at the window: its payment orders, and a new one (clerks may open orders). */
export async function feesSection(app) {
  const slot = h('div', { class: 'messages' });
  const list = h('div');
  const items = itemsEditor();
  const create = h('button', { type: 'submit', class: 'primary' }, '开具缴款单');
  const form = h('form', { class: 'case-payment' }, items, create);
  async function load() {
    const data = await act(slot, () => getStaffPayments({ query: { application_id: app.id } }));
    if (data) clear(list, caseOrdersTable(data.items));
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const its = filledItems(items, slot);
    if (!its) return;
    const total = its.reduce((a, i) => a + i.amount_fen, 0);
    if (!(await confirmDialog('开具缴款单？', [`办件 ${app.serial || app.id}`, `合计 ${fen(total)}，申请人将在小程序中支付。`]))) return;
    const p = await act(slot, () => postStaffPayments({ body: { application_id: app.id, items: its } }), create);
    if (p) {
      notice(slot, `已开具缴款单 ${fen(p.amount_fen)}`);
      await load();
    }
  });
  await load();
  if (FINISHED.has(app.status)) return h('section', { class: 'card fees' }, h('h2', {}, '缴费'), slot, list);
  return h('section', { class: 'card fees' }, h('h2', {}, '缴费'), slot, list, h('h3', {}, '开具缴款单'), form);
}
