// Receipts: a found receipt (blue or red-letter) as a card, and the red-letter receipts table.
import { h, table, badge, fen, fmtTime } from '../../ui.js';

function receiptBadge(r) {
  if (r.kind === 'red') return badge('红字票据', 'red');
  if (r.status === 'voided') return badge('已作废（全额退款）', 'red');
  if (r.status === 'partially_refunded') return badge(`部分退款 ${fen(r.refunded_fen)}`, 'yellow');
  return badge('有效', 'green');
}

export function receiptCard(r) {
  return h('section', { class: 'card receipt', dataset: { kind: r.kind || 'blue', status: r.status || 'issued' } },
    h('h2', {}, `${r.kind === 'red' ? '红字票据' : '票据'} ${r.code}-${r.number} `, receiptBadge(r)),
    h('dl', { class: 'props' },
      r.original ? h('dt', {}, '冲红原票据') : null, r.original ? h('dd', {}, `${r.original.code}-${r.original.number}`) : null,
      h('dt', {}, '票据代码'), h('dd', {}, r.code), h('dt', {}, '票据号码'), h('dd', {}, r.number),
      h('dt', {}, '校验码'), h('dd', {}, r.check_code), h('dt', {}, '金额'), h('dd', { class: 'amount' }, fen(r.amount_fen)),
      h('dt', {}, '大写'), h('dd', {}, r.amount_capitals || '—'), h('dt', {}, '缴款人'), h('dd', {}, r.payer_masked),
      h('dt', {}, '收款单位'), h('dd', {}, r.payee || '—'), h('dt', {}, '开票时间'), h('dd', {}, fmtTime(r.issued_at)),
      h('dt', {}, '办件'), h('dd', {}, r.application_serial || '—'),
      h('dt', {}, '项目'), h('dd', {}, (r.items || []).map((i) => `${i.name} ${fen(i.amount_fen)}`).join('；'))));
}

export function redReceiptsTable(rows) {
  return table([
    { label: '红字票据', render: (r) => `${r.code}-${r.number}` },
    { label: '冲红原票据', render: (r) => `${r.original.code}-${r.original.number}` },
    { label: '金额', render: (r) => h('span', { class: 'amount negative' }, fen(r.amount_fen)) },
    { label: '大写', render: (r) => r.amount_capitals },
    { label: '缴款人', render: (r) => r.payer_masked },
    { label: '办件', render: (r) => r.application_serial || '—' },
    { label: '开票时间', render: (r) => fmtTime(r.issued_at) },
  ], rows, { empty: '暂无红字票据', rowAttrs: (r) => ({ dataset: { receipt: r.id, original: r.original.id } }) });
}
