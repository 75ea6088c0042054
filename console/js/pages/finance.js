// Finance: payment orders for cases, their states, refunds (full or partial, confirmed), daily
// reconciliation against the channels' bills with the job's alerts, receipts and red-letter
// receipts, and clearing (清分) to payee units.
import { getStaffApplications } from '../api/cases.js';
import {
  getStaffClearing, getStaffPayments, getStaffPaymentsById, getStaffReceipts, getStaffReconciliation,
  getStaffReconciliationAlerts, getStaffReconciliationReports, getStaffRedReceipts, postStaffPayments,
  postStaffPaymentsByIdClose, postStaffPaymentsByIdRefunds, postStaffReconciliation,
  postStaffReconciliationByIdAcknowledge,
} from '../api/payments.js';
import {
  h, clear, field, input, select, button, table, act, notice, pageHeader, section, badge, fen, yuanToFen, fmtTime,
  today, confirmDialog, newRequestId, toast, PAYMENT_STATUS, REFUND_STATUS,
} from '../ui.js';

const ROLES = ['finance'];
const GROUP = '财务';
const CHANNELS = [['wechat', '微信支付'], ['alipay', '支付宝']];
const CHANNEL_NAME = Object.fromEntries(CHANNELS);
const REPORT_STATE = { running: '对账中', waiting_bill: '等待渠道账单', failed: '渠道暂不可用，将重试', done: '已对账',
  skipped: '超出自动补对天数，请手工对账' };

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

function receiptBadge(r) {
  if (r.kind === 'red') return badge('红字票据', 'red');
  if (r.status === 'voided') return badge('已作废（全额退款）', 'red');
  if (r.status === 'partially_refunded') return badge(`部分退款 ${fen(r.refunded_fen)}`, 'yellow');
  return badge('有效', 'green');
}

export function payBadge(status, text) {
  const kind = { paid: 'green', unpaid: 'yellow', refunded: 'red', refunding: 'yellow' }[status] || '';
  return badge(text || PAYMENT_STATUS[status] || status, kind);
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
function newOrderForm(onCreated) {
  const slot = h('div', { class: 'messages' });
  const serial = input({ name: 'serial', class: 'wide', autocomplete: 'off', maxlength: 32, placeholder: 'ZJB…' });
  const items = itemsEditor();
  const createBtn = h('button', { type: 'submit', class: 'primary' }, '开具缴款单');
  const form = h('form', { class: 'create-payment' }, slot, field('办件编号', serial), items, createBtn);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const its = items.value();
    if (!its.length || its.some((i) => !i.name || Number.isNaN(i.amount_fen) || i.amount_fen <= 0)) {
      notice(slot, '请填写收费项目名称和金额（元，最多两位小数）', 'error');
      return;
    }
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

// -- payment orders: small views, wired together by renderPayments ---------------------------------

function paymentsTable(items, onOpen) {
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

async function renderPayments(main) {
  const msg = pageHeader(main, '缴款单', '为办件开具缴款单（缴款人为办件申请人），查看支付状态，办理全额或部分退款。');
  await alertBanner(main);
  const create = newOrderForm(async (p) => {
    await load();
    await openDetail(p.id);
  });
  const status = select([['', '全部'], ...Object.entries(PAYMENT_STATUS)], { name: 'status' });
  const filterApp = input({ name: 'filter-application', placeholder: '办件 ID' });
  const list = h('div');
  const detail = h('div', { class: 'payment-detail' });
  const filter = h('form', { role: 'search' }, field('状态', status), field('办件 ID', filterApp), h('button', { type: 'submit' }, '查询'));
  filter.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  main.append(section('开具缴款单', create), section('缴款单', filter, list), detail);

  async function load() {
    const data = await act(msg, () => getStaffPayments({ query: { status: status.value, application_id: filterApp.value.trim() } }));
    if (data) clear(list, paymentsTable(data.items, openDetail));
  }
  async function openDetail(id) {
    const p = await act(msg, () => getStaffPaymentsById(id));
    if (!p) return;
    const dslot = h('div', { class: 'messages' });
    const reopen = async () => {
      await load();
      await openDetail(p.id);
    };
    const refundable = p.amount_fen - (p.refunded_fen || 0) - (p.refunding_fen || 0);
    const refunded = async (r) => {
      await reopen();
      notice(detail.querySelector('.messages'), `已提交退款 ${fen(r.amount_fen)}（${REFUND_STATUS[r.status] || r.status}）`);
    };
    clear(detail, h('section', { class: 'card' },
      h('h2', {}, `缴款单 ${p.out_trade_no || p.id}`), dslot, paymentFacts(p),
      h('h3', {}, '退款记录'), refundsTable(p.refunds || []),
      p.status === 'unpaid' ? closeAction(p, dslot, reopen) : null,
      (p.status === 'paid' || p.status === 'refunding') && refundable > 0 ? refundForm(p, dslot, refundable, refunded) : null));
    detail.querySelector('h2').scrollIntoView({ block: 'nearest' });
  }

  await load();
}

// -- reconciliation: small views, wired together by renderReconciliation ----------------------------

function channelName(r) {
  return CHANNEL_NAME[r.channel] || r.channel;
}

/** The form that records how an alert was handled; onDone runs once it is recorded. */
function acknowledgeForm(r, slot, onDone) {
  const note = input({ name: 'ack-note', class: 'wide', 'aria-label': '处理说明' });
  const ack = h('button', { type: 'submit', class: 'primary' }, '记录处理结果');
  const form = h('form', { class: 'ack' }, field('处理说明', note), ack);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!note.value.trim()) {
      notice(slot, '请填写处理说明（原因与处理结果）', 'error');
      note.focus();
      return;
    }
    const done = await act(slot, () => postStaffReconciliationByIdAcknowledge(r.id,
      { body: { note: note.value.trim() } }), ack);
    if (done) await onDone();
  });
  return form;
}

/** One open alert: a skipped day, or a day that did not balance. */
function alertCard(r, { onShow, onDone }) {
  const slot = h('div', { class: 'messages' });
  const form = acknowledgeForm(r, slot, onDone);
  if (r.state === 'skipped') {
    return h('section', { class: 'card alert-report', dataset: { report: r.id } },
      h('h2', {}, badge('未对账', 'red'), `${r.date} ${channelName(r)} 对账告警`), slot,
      h('p', {}, '系统停机时间超过自动补对的天数，该日未自动对账。请在上方选择该日期与渠道手工对账。'), form);
  }
  return h('section', { class: 'card alert-report', dataset: { report: r.id } },
    h('h2', {}, badge('不平', 'red'), `${r.date} ${channelName(r)} 对账告警`), slot,
    h('p', {}, `渠道有、本地无 ${r.missing.length} 笔；本地有、渠道无 ${r.extra.length} 笔；金额或状态不符 ${r.mismatched.length} 笔；`,
      `本地记在其他日期 ${(r.other_day || []).length} 笔。`,
      ` 渠道净额 ${fen(r.bill_net_fen)}，本地净额 ${fen(r.local_net_fen)}。`),
    button('查看明细', () => onShow(r)), form);
}

function recentReports(items, onShow) {
  return table([
    { label: '账单日期', render: (r) => r.date },
    { label: '渠道', render: (r) => channelName(r) },
    { label: '状态', render: (r) => REPORT_STATE[r.state] || r.state },
    { label: '结果', render: (r) => (r.state !== 'done' ? '—' : (r.balanced ? badge('平账', 'green') : badge(r.alert ? '不平（待处理）' : '不平（已处理）', 'red'))) },
    { label: '渠道净额', render: (r) => (r.bill_net_fen !== undefined ? fen(r.bill_net_fen) : '—') },
    { label: '尝试次数', render: (r) => String(r.tries ?? 0) },
    { label: '', render: (r) => (r.state === 'done' ? button('查看', () => onShow(r)) : '') },
  ], items, { empty: '最近没有对账记录', rowAttrs: (r) => ({ dataset: { report: r.id, state: r.state } }) });
}

function differences(rows) {
  return table([
    { label: '商户订单号', render: (x) => x.out_trade_no || '—' },
    { label: '退款单号', render: (x) => x.out_refund_no || '—' },
    { label: '类型', render: (x) => ({ payment: '支付', refund: '退款' }[x.kind] || x.kind || '—') },
    { label: '渠道金额', render: (x) => (x.bill_amount_fen !== undefined ? fen(x.bill_amount_fen) : '—') },
    { label: '本地金额', render: (x) => (x.local_amount_fen !== undefined ? fen(x.local_amount_fen) : '—') },
    { label: '本地状态', render: (x) => x.local_status || '—' },
    { label: '本地日期', render: (x) => x.local_date || '—' },
  ], rows, { empty: '无' });
}

const TOTAL_NAME = { payments: '收款笔数', refunds: '退款笔数', gross_fen: '收款金额', refunds_fen: '退款金额', net_fen: '净额' };

function totalsTable(totals) {
  const money = (k, v) => (k.endsWith('_fen') ? fen(v) : String(v));
  return table([
    { label: '合计', render: (k) => TOTAL_NAME[k] || k },
    { label: '渠道账单', render: (k) => money(k, totals.bill[k]) },
    { label: '本地记录', render: (k) => money(k, totals.local[k]) },
    { label: '', render: (k) => (totals.bill[k] === totals.local[k] ? badge('一致', 'green') : badge('不一致', 'red')) },
  ], Object.keys(TOTAL_NAME));
}

/** One day's report for one channel: figures, the differences by kind, and the totals. */
function reportView(r) {
  const totals = r.totals ? totalsTable(r.totals) : null;
  const ackd = r.acknowledged ? h('p', { class: 'muted' }, `已处理：${r.acknowledged.note}（${r.acknowledged.by}，${fmtTime(r.acknowledged.at)}）`) : null;
  return h('section', { class: 'card report' },
    h('h2', {}, `${r.date} ${channelName(r)} 对账报告`),
    h('div', { class: 'kpis' },
      kpi('结果', r.balanced ? '平账' : '不平', r.balanced ? 'balanced' : 'unbalanced'),
      kpi('渠道笔数', r.bill_rows ?? '—'), kpi('渠道净额', fen(r.bill_net_fen)),
      kpi('本地笔数', r.local_rows ?? '—'), kpi('本地净额', fen(r.local_net_fen)), kpi('相符', r.matched ?? '—')),
    h('p', { class: 'muted' }, `生成时间 ${fmtTime(r.generated_at)}`), ackd,
    h('h3', {}, `渠道有、本地无（${r.missing.length}）`), differences(r.missing),
    h('h3', {}, `本地有、渠道无（${r.extra.length}）`), differences(r.extra),
    h('h3', {}, `金额或状态不符（${r.mismatched.length}）`), differences(r.mismatched),
    h('h3', {}, `本地记在其他日期（${(r.other_day || []).length}）`), differences(r.other_day || []),
    totals ? h('h3', {}, '合计核对') : null, totals);
}

async function renderReconciliation(main) {
  const msg = pageHeader(main, '对账', '每日 10 点后自动下载各渠道前一日账单，与本地支付、退款记录逐笔核对；也可手动对账。');
  const alerts = h('div', { class: 'alerts' });
  const recent = h('div');
  const date = input({ type: 'date', value: today(-1), name: 'date' });
  const channel = select(CHANNELS, { name: 'channel' });
  const run = button('运行对账', () => go('run', run), { class: 'primary' });
  const read = button('查看报告', () => go('read', read));
  const report = h('div');
  main.append(alerts,
    h('div', { class: 'card' }, h('h2', {}, '手动对账'), field('账单日期', date), field('渠道', channel),
      h('div', { class: 'actions' }, run, read)),
    report, section('最近的对账', recent));

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
  async function go(kind, btn) {
    const body = { date: date.value, channel: channel.value };
    const r = await act(msg, () => (kind === 'run' ? postStaffReconciliation({ body }) : getStaffReconciliation({ query: body })), btn);
    if (!r) return;
    show(r);
    if (kind === 'run') await reload();
  }

  await reload();
}

function kpi(label, value, cls = '') {
  return h('div', { class: `kpi ${cls}` }, h('div', { class: 'v' }, String(value)), h('div', { class: 'k' }, label));
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
    clear(out, data.items.length ? data.items.map((r) => h('section', { class: 'card receipt', dataset: { kind: r.kind || 'blue', status: r.status || 'issued' } },
      h('h2', {}, `${r.kind === 'red' ? '红字票据' : '票据'} ${r.code}-${r.number} `, receiptBadge(r)),
      h('dl', { class: 'props' },
        r.original ? h('dt', {}, '冲红原票据') : null, r.original ? h('dd', {}, `${r.original.code}-${r.original.number}`) : null,
        h('dt', {}, '票据代码'), h('dd', {}, r.code), h('dt', {}, '票据号码'), h('dd', {}, r.number),
        h('dt', {}, '校验码'), h('dd', {}, r.check_code), h('dt', {}, '金额'), h('dd', { class: 'amount' }, fen(r.amount_fen)),
        h('dt', {}, '大写'), h('dd', {}, r.amount_capitals || '—'), h('dt', {}, '缴款人'), h('dd', {}, r.payer_masked),
        h('dt', {}, '收款单位'), h('dd', {}, r.payee || '—'), h('dt', {}, '开票时间'), h('dd', {}, fmtTime(r.issued_at)),
        h('dt', {}, '办件'), h('dd', {}, r.application_serial || '—'),
        h('dt', {}, '项目'), h('dd', {}, (r.items || []).map((i) => `${i.name} ${fen(i.amount_fen)}`).join('；'))))) :
      h('div', { class: 'alert warn', role: 'status' }, '未找到该票据'));
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
    clear(list, table([
      { label: '红字票据', render: (r) => `${r.code}-${r.number}` },
      { label: '冲红原票据', render: (r) => `${r.original.code}-${r.original.number}` },
      { label: '金额', render: (r) => h('span', { class: 'amount negative' }, fen(r.amount_fen)) },
      { label: '大写', render: (r) => r.amount_capitals },
      { label: '缴款人', render: (r) => r.payer_masked },
      { label: '办件', render: (r) => r.application_serial || '—' },
      { label: '开票时间', render: (r) => fmtTime(r.issued_at) },
    ], rows, { empty: '暂无红字票据', rowAttrs: (r) => ({ dataset: { receipt: r.id, original: r.original.id } }) }));
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
    if (!r) return;
    const agree = r.agrees_with_bills === null ? badge('尚有渠道未对账', 'yellow')
      : (r.agrees_with_bills ? badge('与渠道账单一致', 'green') : badge('与渠道账单不一致', 'red'));
    const unitRows = r.units.map((u) => ({ ...u, total: false })).concat([{ name: '合计', unit_code: '', ...r.total, items: [], total: true }]);
    clear(out, h('section', { class: 'card clearing', dataset: { date: r.date } },
      h('h2', {}, `${r.date} 清分 `, agree),
      h('div', { class: 'kpis' }, kpi('收款', fen(r.total.collected_fen)), kpi('退款', fen(r.total.refunded_fen)),
        kpi('应划拨', fen(r.total.due_fen))),
      table([
        { label: '收款单位', render: (u) => (u.total ? h('strong', {}, u.name) : u.name) },
        { label: '执收单位编码', render: (u) => u.unit_code || '—' },
        { label: '收款', render: (u) => fen(u.collected_fen) },
        { label: '退款', render: (u) => fen(u.refunded_fen) },
        { label: '应划拨', render: (u) => h('span', { class: 'due' }, fen(u.due_fen)) },
        { label: '非税收入项目', render: (u) => u.items.map((i) => `${i.item_code} ${i.name} ${fen(i.collected_fen)}${i.refunded_fen ? `（退 ${fen(i.refunded_fen)}）` : ''}`).join('；') || '—' },
      ], unitRows, { empty: '当日没有收款或退款', rowAttrs: (u) => ({ dataset: { unit: u.total ? 'total' : u.unit_id } }) }),
      r.unassigned && r.unassigned.length ? h('div', { class: 'unassigned' },
        h('h3', {}, badge('未归属收款单位', 'red'), ` ${r.unassigned.length} 笔，合计 ${fen(r.total.unassigned_fen || 0)}，须核实`),
        table([
          { label: '商户订单号', render: (x) => x.out_trade_no || '—' },
          { label: '退款单号', render: (x) => x.out_refund_no || '—' },
          { label: '项目', render: (x) => x.item_name || '—' },
          { label: '金额', render: (x) => fen(x.amount_fen) },
        ], r.unassigned)) : null,
      h('h3', {}, '渠道'),
      table([
        { label: '渠道', render: (c) => CHANNEL_NAME[c.channel] || c.channel },
        { label: '本地净额', render: (c) => fen(c.net_fen) },
        { label: '账单净额', render: (c) => (c.bill_net_fen === null ? '未对账' : fen(c.bill_net_fen)) },
        { label: '对账结果', render: (c) => (c.balanced === null ? '—' : (c.balanced ? badge('平账', 'green') : badge('不平', 'red'))) },
      ], r.channels)));
  });
}

export default [
  { path: 'finance/payments', title: '缴款单', group: GROUP, roles: ROLES, render: renderPayments },
  { path: 'finance/reconciliation', title: '对账', group: GROUP, roles: ROLES, render: renderReconciliation },
  { path: 'finance/receipts', title: '票据查询', group: GROUP, roles: ROLES, render: renderReceipts },
  { path: 'finance/red-receipts', title: '红字票据', group: GROUP, roles: ROLES, render: renderRedReceipts },
  { path: 'finance/clearing', title: '清分', group: GROUP, roles: ROLES, render: renderClearing },
];
