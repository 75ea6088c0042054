// Finance: payment orders for cases, their states, refunds (full or partial, confirmed), daily
// reconciliation against the channels' bills with the job's alerts, receipts and red-letter
// receipts, and clearing (清分) to payee units. The pages compose the render helpers in views/payments/.
import {
  getStaffClearing, getStaffPayments, getStaffPaymentsById, getStaffPaymentsCounts, getStaffReceipts, getStaffReconciliation,
  getStaffReconciliationAlerts, getStaffReconciliationReports, getStaffRedReceipts, postStaffReconciliation,
} from '../api/payments.js';
import {
  h, clear, field, input, select, button, act, notice, pageHeader, section, fen, today, toast, PAYMENT_STATUS,
  REFUND_STATUS,
} from '../ui.js';
import { newOrderForm, paymentDetail, paymentsTable } from '../views/payments/orders.js';
import {
  CHANNEL_NAME, alertCard, manualReconcile, recentReports, reportView,
} from '../views/payments/reconciliation.js';
import { receiptCard, redReceiptsTable } from '../views/payments/receipts.js';
import { clearingView } from '../views/payments/clearing.js';
import { countsBar, labelledCounts, pagedList, searchBox } from '../views/worklist.js';

const ROLES = ['finance'];
const GROUP = '财务';

/** Unbalanced reconciliation reports nobody has looked into yet: a banner on every finance page. */
async function alertBanner(main) {
  let data;
  try {
    data = await getStaffReconciliationAlerts();
  } catch {
    return; // the page itself shows what went wrong with the server
  }
  if (!data.items.length) return;
  const list = data.items.map((r) => `${r.date} ${CHANNEL_NAME[r.channel] || r.channel}`).join('、');
  const banner = h('div', { class: 'alert error reconcile-alert', role: 'alert' },
    h('strong', {}, `对账告警：${data.items.length} 份对账报告不平或未对账（${list}）`),
    h('p', {}, '渠道账单与本地记录不一致，请在「对账」页核实原因并记录处理结果。 ',
      h('a', { href: '#/finance/reconciliation' }, '前往对账')));
  main.querySelector('.messages').after(banner);
}

/** Finding orders by a case's serial, or the payer's full name or full ID number. */
function paymentLookup(openDetail) {
  return searchBox({
    label: '查找缴款单', name: 'payment-q', cls: 'payment-lookup', hint: '办件编号，或缴款人的完整姓名、完整身份证号',
    search: async (text, go, slot) => {
      const data = await act(slot, () => getStaffPayments({ query: { q: text } }), go);
      if (!data) return null;
      if (!data.items.length) notice(slot, '未找到缴款单，请核对后重试', 'error');
      return data.items.length ? paymentsTable(data.items, openDetail) : null;
    },
  });
}

/** Orders by status, landing on the unpaid ones, counted, oldest first (refunds under way too). */
function ordersWorklist(msg, openDetail) {
  const status = select([['', '全部'], ...Object.entries(PAYMENT_STATUS)], { name: 'status', value: 'unpaid' });
  const counts = h('div', { class: 'counts' });
  const paged = pagedList({
    read: (st, cursor) => act(msg, () => getStaffPayments({ query: {
      status: st, order: ['unpaid', 'refunding'].includes(st) ? 'oldest' : 'newest', limit: 100,
      ...(cursor ? { cursor } : {}) } })),
    render: (items) => paymentsTable(items, openDetail),
  });
  async function load() {
    const n = await act(msg, () => getStaffPaymentsCounts());
    if (n) clear(counts, countsBar(labelledCounts(n.items, { unpaid: '待缴费', refunding: '退款中' }), { unit: '张' }));
    await paged.load([status.value]);
  }
  status.addEventListener('change', load);
  return { el: section('缴款单', h('div', { class: 'card' }, counts, field('状态', status), button('刷新', () => load())),
    paged.el), load };
}

async function renderPayments(main) {
  const msg = pageHeader(main, '缴款单', '为办件开具缴款单（缴款人为办件申请人）；待缴费和退款中的最早开具的在前；按办件编号、缴款人姓名或身份证号查找；办理全额或部分退款。');
  await alertBanner(main);
  const create = newOrderForm(async (p) => {
    await load();
    await openDetail(p.id);
  });
  const detail = h('div', { class: 'payment-detail' });
  const orders = ordersWorklist(msg, (id) => openDetail(id));
  const load = orders.load;
  main.append(section('开具缴款单', create), paymentLookup((id) => openDetail(id)), orders.el, detail);
  async function openDetail(id) {
    const p = await act(msg, () => getStaffPaymentsById(id));
    if (!p) return;
    const reopen = async () => {
      await load();
      await openDetail(p.id);
    };
    const refunded = async (r) => {
      await reopen();
      notice(detail.querySelector('.messages'), `已提交退款 ${fen(r.amount_fen)}（${REFUND_STATUS[r.status] || r.status}）`);
    };
    clear(detail, paymentDetail(p, reopen, refunded));
    detail.querySelector('h2').scrollIntoView({ block: 'nearest' });
  }

  await load();
}

async function renderReconciliation(main) {
  const msg = pageHeader(main, '对账', '每日 10 点后自动下载各渠道前一日账单，与本地支付、退款记录逐笔核对；也可手动对账。');
  const alerts = h('div', { class: 'alerts' });
  const recent = h('div');
  const report = h('div');
  const show = (r) => {
    clear(report, reportView(r));
    report.querySelector('h2').scrollIntoView({ block: 'nearest' });
  };
  const reload = async () => {
    await loadAlerts();
    await loadRecent();
  };
  const acknowledged = async () => {
    toast('已记录处理结果，告警已消除');
    await reload();
  };
  async function loadAlerts() {
    const data = await act(msg, () => getStaffReconciliationAlerts());
    if (data) clear(alerts, ...data.items.map((r) => alertCard(r, { onShow: show, onDone: acknowledged })));
  }
  async function loadRecent() {
    const data = await act(msg, () => getStaffReconciliationReports({ query: { days: 14 } }));
    if (data) clear(recent, recentReports(data.items, show));
  }
  async function go(kind, body, btn) {
    const r = await act(msg, () => (kind === 'run' ? postStaffReconciliation({ body }) : getStaffReconciliation({ query: body })), btn);
    if (!r) return;
    show(r);
    if (kind === 'run') await reload();
  }
  main.append(alerts, manualReconcile(go, today(-1)), report, section('最近的对账', recent));
  await reload();
}

async function renderReceipts(main) {
  const msg = pageHeader(main, '票据查询', '按票据号码（可加票据代码）查找电子票据或红字票据。');
  await alertBanner(main);
  const number = input({ name: 'number', inputmode: 'numeric' });
  const code = input({ name: 'code' });
  const out = h('div');
  const form = h('form', { class: 'card', role: 'search' }, field('票据号码', number), field('票据代码（可选）', code),
    h('button', { type: 'submit', class: 'primary' }, '查找'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = await act(msg, () => getStaffReceipts({ query: { number: number.value.trim(), code: code.value.trim() } }),
      form.querySelector('button'));
    if (!data) return;
    clear(out, data.items.length ? data.items.map(receiptCard) : h('div', { class: 'alert warn', role: 'status' }, '未找到该票据'));
  });
  main.append(form, out);
  number.focus();
}

async function renderRedReceipts(main) {
  const msg = pageHeader(main, '红字票据', '退款成功后自动开具的红字票据：全额退款冲销原票据，部分退款按退款金额开具。');
  await alertBanner(main);
  const list = h('div');
  const more = button('加载更多', () => load(more), { hidden: true });
  let cursor = null;
  let rows = [];
  main.append(section('红字票据', list, h('div', { class: 'actions' }, more)));

  async function load(btn) {
    const data = await act(msg, () => getStaffRedReceipts({ query: cursor ? { cursor } : {} }), btn);
    if (!data) return;
    rows = rows.concat(data.items);
    cursor = data.next_cursor;
    more.hidden = !cursor;
    clear(list, redReceiptsTable(rows));
  }
  await load();
}

async function renderClearing(main) {
  const msg = pageHeader(main, '清分', '按日统计各收款单位（执收单位）的收款、退款与应划拨金额，并与渠道账单核对。');
  await alertBanner(main);
  const date = input({ type: 'date', value: today(-1), name: 'date' });
  const go = h('button', { type: 'submit', class: 'primary' }, '查询');
  const form = h('form', { class: 'card', role: 'search' }, field('日期', date), go);
  const out = h('div');
  main.append(form, out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = await act(msg, () => getStaffClearing({ query: { date: date.value } }), go);
    if (r) clear(out, clearingView(r));
  });
}

export default [
  { path: 'finance/payments', title: '缴款单', group: GROUP, roles: ROLES, render: renderPayments },
  { path: 'finance/reconciliation', title: '对账', group: GROUP, roles: ROLES, render: renderReconciliation },
  { path: 'finance/receipts', title: '票据查询', group: GROUP, roles: ROLES, render: renderReceipts },
  { path: 'finance/red-receipts', title: '红字票据', group: GROUP, roles: ROLES, render: renderRedReceipts },
  { path: 'finance/clearing', title: '清分', group: GROUP, roles: ROLES, render: renderClearing },
];
