// Reconciliation against the channels' bills: open alerts (with recording how each was handled),
// recent reports, and one day's report for one channel with its differences and totals.
import { postStaffReconciliationByIdAcknowledge } from '../../api/payments.js';
import { h, field, input, select, button, table, act, notice, badge, fen, fmtTime } from '../../ui.js';

export const CHANNELS = [['wechat', '微信支付'], ['alipay', '支付宝']];
export const CHANNEL_NAME = Object.fromEntries(CHANNELS);
const REPORT_STATE = { running: '对账中', waiting_bill: '等待渠道账单', failed: '渠道暂不可用，将重试', done: '已对账',
  skipped: '超出自动补对天数，请手工对账' };

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
export function alertCard(r, { onShow, onDone }) {
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

export function recentReports(items, onShow) {
  return table([
    { label: '账单日期', render: (r) => r.date },
    { label: '渠道', render: (r) => channelName(r) },
    { label: '状态', render: (r) => REPORT_STATE[r.state] || r.state },
    { label: '结果', render: (r) => (r.state !== 'done' ? '—' : (r.balanced ? badge('平账', 'green') : badge(r.alert ? '不平（待处理）' : '不平（已处理）', 'red'))) },
    { label: '渠道净额', render: (r) => (r.bill_net_fen !== undefined ? fen(r.bill_net_fen) : '—') },
    { label: '尝试次数', render: (r) => String(r.tries ?? 0) },
    { label: '明细', render: (r) => (r.state === 'done' ? button('查看', () => onShow(r)) : '') },
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
    { label: '核对结果', render: (k) => (totals.bill[k] === totals.local[k] ? badge('一致', 'green') : badge('不一致', 'red')) },
  ], Object.keys(TOTAL_NAME));
}

/** One day's report for one channel: figures, the differences by kind, and the totals. */
export function reportView(r) {
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

export function kpi(label, value, cls = '') {
  return h('div', { class: `kpi ${cls}` }, h('div', { class: 'v' }, String(value)), h('div', { class: 'k' }, label));
}


/** The manual reconciliation card: a day and a channel, run now or read the report;
 * `go(kind, body, button)` does it, kind 'run' or 'read'. */
export function manualReconcile(go, defaultDate) {
  const date = input({ type: 'date', value: defaultDate, name: 'date' });
  const channel = select(CHANNELS, { name: 'channel' });
  const body = () => ({ date: date.value, channel: channel.value });
  const run = button('运行对账', () => go('run', body(), run), { class: 'primary' });
  const read = button('查看报告', () => go('read', body(), read));
  return h('div', { class: 'card' }, h('h2', {}, '手动对账'), field('账单日期', date), field('渠道', channel),
    h('div', { class: 'actions' }, run, read));
}
