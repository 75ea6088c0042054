// The register of e-licences issued here (电子证照), outside any one case: filter by status, find
// by licence number or case serial, open the case that issued one; approvers revoke from here too
// (with a reason the holder is told, as on the case page).
import { getStaffLicences } from '../api/licences.js';
import { h, clear, field, input, select, button, act, notice, pageHeader, table, badge, fmtTime } from '../ui.js';
import { STATUS_LABELS } from '../status-labels.js';
import { myRoles } from '../api.js';
import { revokeForm } from '../views/case/licence.js';

const LICENCE_STATUS = STATUS_LABELS.licence || {};
const STATUS_KIND = { valid: 'green', revoked: 'red', expired: 'yellow' };

function caseLink(lic) {
  if (!lic.application_id) return '—';
  return h('a', { href: `#/case/${lic.application_id}`, class: 'serial' }, lic.application_serial || '查看办件');
}

/** The revocation of one licence, opened above the list; `done` reloads the list. */
function revokePanel(lic, panel, done) {
  const slot = h('div', { class: 'messages' });
  clear(panel, h('section', { class: 'card revoke-panel', 'aria-label': `撤销证照 ${lic.number}` },
    h('h2', {}, `撤销电子证照 ${lic.number}`),
    h('p', { class: 'muted' }, `${lic.name}　持证人 ${lic.holder_masked}。撤销后持证人将收到通知，公开查验显示已撤销。`),
    slot, revokeForm(lic, slot, async (r) => {
      clear(panel);
      await done(`证照 ${r.number} 已撤销，持证人将收到通知`);
    }), button('取消', () => clear(panel))));
  panel.querySelector('textarea').focus();
}

function licencesTable(items, revoke) {
  const mayRevoke = myRoles().has('approver');
  return table([
    { label: '证照名称', render: (l) => l.name },
    { label: '证照编号', render: (l) => h('span', { class: 'nowrap' }, l.number) },
    { label: '持证人', render: (l) => l.holder_masked },
    { label: '颁发日期', render: (l) => fmtTime(l.issued_at).slice(0, 10) },
    { label: '状态', render: (l) => badge(LICENCE_STATUS[l.status] || l.status, STATUS_KIND[l.status] || '') },
    { label: '办件', render: caseLink },
    ...(mayRevoke ? [{ label: '操作', render: (l) => (l.status === 'valid'
      ? button('撤销', () => revoke(l), { 'aria-label': `撤销证照 ${l.number}` }) : '—') }] : []),
  ], items, { empty: '没有符合条件的电子证照', rowAttrs: (l) => ({ dataset: { number: l.number, status: l.status } }) });
}

function filters(load) {
  const status = select([['', '全部'], ['valid', '有效'], ['revoked', '已撤销'], ['expired', '已过期']], { name: 'licence-status' });
  const q = input({ name: 'licence-q', autocomplete: 'off', maxlength: 40, class: 'wide' });
  const form = h('form', { class: 'card row', role: 'search', 'aria-label': '查找电子证照' },
    field('状态', status), field('证照编号或办件编号', q, '如 YYZZ2026000001 或 ZJB 开头的办件编号'),
    h('button', { type: 'submit' }, '查找'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load({ status: status.value || undefined, q: q.value.trim() || undefined });
  });
  status.addEventListener('change', () => form.requestSubmit());
  return form;
}

async function renderLicences(main) {
  const msg = pageHeader(main, '电子证照', '本中心颁发的电子证照（持证人已脱敏）。按状态筛选，按证照编号或办件编号查找；点办件编号查看办件。');
  const panel = h('div');
  const list = h('div', { 'aria-live': 'polite' });
  let query = {};
  async function load(q, said) {
    query = q;
    const page = await act(msg, () => getStaffLicences({ query: { ...q, limit: 50 } }));
    if (!page) return;
    clear(list, licencesTable(page.items, (lic) => revokePanel(lic, panel, (text) => load(query, text))),
      page.next_cursor ? button('显示更多', (e) => more(page.next_cursor, e.target)) : null);
    if (said) notice(msg, said);
  }
  async function more(cursor, btn) {
    const page = await act(msg, () => getStaffLicences({ query: { ...query, cursor, limit: 50 } }), btn);
    if (!page) return;
    btn.replaceWith(licencesTable(page.items, (lic) => revokePanel(lic, panel, (text) => load(query, text))),
      page.next_cursor ? button('显示更多', (e) => more(page.next_cursor, e.target)) : '');
  }
  main.append(filters(load), panel, list);
  await load({});
}

export default [
  { path: 'licences', title: '电子证照', group: '办件', roles: ['clerk', 'approver', 'supervisor'], render: renderLicences },
];
