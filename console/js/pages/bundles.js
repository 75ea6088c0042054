// 一件事 at the window and in finance: find a bundle by its serial (YJS…) or the applicant's full name
// or ID number (the shared search box; a search by a person is audited), see each of its cases and
// where it stands, and its one payment order — which finance raises here for the whole bundle
// (one item per charged service, paid once, the receipt itemised).
import { getStaffBundles, getStaffBundlesById, postStaffBundlesByIdPayment } from '../api/bundles.js';
import { h, clear, button, act, notice, pageHeader, section, table, badge, fen, fmtTime, PAYMENT_STATUS } from '../ui.js';
import { personText, statusBadge } from '../views/case/list.js';
import { searchBox } from '../views/worklist.js';
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
    b.applicant ? h('p', { class: 'bundle-applicant' }, '申请人　', personText(b.applicant)) : null,
    section('办件', casesOf(b)), section('缴费', paymentPart(b, reload)));
}

/** Several bundles (a search by name or ID number): one row each, opened below the table. */
function bundlesTable(items, open) {
  return table([
    { label: '一件事编号', render: (b) => h('span', { class: 'serial' }, b.serial) },
    { label: '主题', render: (b) => b.name },
    { label: '申请人', render: (b) => personText(b.applicant) },
    { label: '状态', render: (b) => badge(b.status_name || b.status, b.done ? 'green' : 'blue') },
    { label: '申请时间', render: (b) => fmtTime(b.created_at) },
    { label: '操作', render: (b) => button('查看', () => open(b.id), { 'aria-label': `查看 ${b.serial}` }) },
  ], items, { rowAttrs: (b) => ({ dataset: { serial: b.serial } }) });
}

async function renderBundles(main) {
  const msg = pageHeader(main, '一件事', '按一件事编号（YJS 开头）或申请人的完整姓名、身份证号查找，查看其中每个办件的进度；'
    + '财务人员在此为整件事开具一张缴款单。');
  const lookup = searchBox({
    label: '查找一件事', name: 'bundle-q', cls: 'bundle-lookup', placeholder: '一件事编号、姓名或身份证号',
    hint: '一件事编号，或申请人的完整姓名、完整身份证号',
    search: async (text, go, slot) => {
      const data = await act(slot, () => getStaffBundles({ query: { q: text, limit: 50 } }), go);
      if (!data) return null;
      if (!data.items.length) {
        notice(slot, '未找到一件事，请核对后重试', 'error');
        return null;
      }
      const detail = h('div', { class: 'bundle-detail', 'aria-live': 'polite' });
      async function show(id, said) {
        const b = await act(msg, () => getStaffBundlesById(id));
        if (!b) return;
        clear(detail, bundleCard(b, (words) => show(b.id, words)));
        if (said) notice(msg, said);
      }
      if (data.items.length === 1) {
        const [b] = data.items;
        clear(detail, bundleCard(b, (words) => show(b.id, words)));
        return detail;
      }
      return h('div', {}, data.next_cursor ? h('p', { class: 'muted' }, '仅列出最近的 50 件，请用一件事编号查找更早的') : null,
        bundlesTable(data.items, (id) => show(id)), detail);
    },
  });
  main.append(lookup);
  lookup.querySelector('input').focus();
}

export default [
  { path: 'bundles', title: '一件事', group: '办件', roles: ['clerk', 'approver', 'finance', 'supervisor'], render: renderBundles },
];
