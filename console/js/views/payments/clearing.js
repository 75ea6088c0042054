// Clearing (清分): one day's amounts per payee unit, what belongs to no unit, and per channel.
import { h, table, badge, fen } from '../../ui.js';
import { CHANNEL_NAME, kpi } from './reconciliation.js';

function unitsTable(r) {
  const unitRows = r.units.map((u) => ({ ...u, total: false })).concat([{ name: '合计', unit_code: '', ...r.total, items: [], total: true }]);
  return table([
    { label: '收款单位', render: (u) => (u.total ? h('strong', {}, u.name) : u.name) },
    { label: '执收单位编码', render: (u) => u.unit_code || '—' },
    { label: '收款', render: (u) => fen(u.collected_fen) },
    { label: '退款', render: (u) => fen(u.refunded_fen) },
    { label: '应划拨', render: (u) => h('span', { class: 'due' }, fen(u.due_fen)) },
    { label: '非税收入项目', render: (u) => u.items.map((i) => `${i.item_code} ${i.name} ${fen(i.collected_fen)}${i.refunded_fen ? `（退 ${fen(i.refunded_fen)}）` : ''}`).join('；') || '—' },
  ], unitRows, { empty: '当日没有收款或退款', rowAttrs: (u) => ({ dataset: { unit: u.total ? 'total' : u.unit_id } }) });
}

function unassignedBlock(r) {
  if (!(r.unassigned && r.unassigned.length)) return null;
  return h('div', { class: 'unassigned' },
    h('h3', {}, badge('未归属收款单位', 'red'), ` ${r.unassigned.length} 笔，合计 ${fen(r.total.unassigned_fen || 0)}，须核实`),
    table([
      { label: '商户订单号', render: (x) => x.out_trade_no || '—' },
      { label: '退款单号', render: (x) => x.out_refund_no || '—' },
      { label: '项目', render: (x) => x.item_name || '—' },
      { label: '金额', render: (x) => fen(x.amount_fen) },
    ], r.unassigned));
}

function channelsTable(channels) {
  return table([
    { label: '渠道', render: (c) => CHANNEL_NAME[c.channel] || c.channel },
    { label: '本地净额', render: (c) => fen(c.net_fen) },
    { label: '账单净额', render: (c) => (c.bill_net_fen === null ? '未对账' : fen(c.bill_net_fen)) },
    { label: '对账结果', render: (c) => (c.balanced === null ? '—' : (c.balanced ? badge('平账', 'green') : badge('不平', 'red'))) },
  ], channels);
}

export function clearingView(r) {
  const agree = r.agrees_with_bills === null ? badge('尚有渠道未对账', 'yellow')
    : (r.agrees_with_bills ? badge('与渠道账单一致', 'green') : badge('与渠道账单不一致', 'red'));
  return h('section', { class: 'card clearing', dataset: { date: r.date } },
    h('h2', {}, `${r.date} 清分 `, agree),
    h('div', { class: 'kpis' }, kpi('收款', fen(r.total.collected_fen)), kpi('退款', fen(r.total.refunded_fen)),
      kpi('应划拨', fen(r.total.due_fen))),
    unitsTable(r), unassignedBlock(r), h('h3', {}, '渠道'), channelsTable(r.channels));
}
