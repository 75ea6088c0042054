// A role's case worklist: what waits for it counted by the server (with the oldest's date) and
// listed oldest first, page after page (加载更多), and any other status through the same filter.
import { getStaffApplications, getStaffApplicationsCounts } from '../../api/cases.js';
import { h, clear, field, select, button, act, section } from '../../ui.js';
import { countsBar, labelledCounts, pagedList } from '../worklist.js';
import { casesTable } from './list.js';

const PAGE = 100;
const OPEN = ['submitted', 'accepted', 'in_review', 'correction_requested', 'approved'];
const when = (c) => String(c.created_at || c.submitted_at || '');

/** The list query of a filter entry: a status (open ones oldest first) or `promise:open|overdue`. */
function query(key, cursor) {
  const [kind, which] = key.split(':');
  const q = kind === 'promise' ? { promise: which } : { status: key, order: OPEN.includes(key) ? 'oldest' : 'newest' };
  return { ...q, limit: PAGE, ...(cursor ? { cursor } : {}) };
}

/** Each filter entry's label with its count: 待我处理 sums what waits for this role. */
function countOptions(statusSel, data, rows) {
  const n = Object.fromEntries(data.items.map((x) => [x.status, x.count]));
  Object.assign(n, { 'promise:open': data.promises.open, 'promise:overdue': data.promises.overdue,
    waiting: rows.reduce((a, r) => a + r.count, 0) });
  for (const opt of statusSel.options) {
    const base = opt.dataset.label || (opt.dataset.label = opt.textContent);
    opt.textContent = n[opt.value] === undefined ? base : `${base}（${n[opt.value]}）`;
  }
}

/**
 * `waiting`: status → what it means for this role (待受理, 待送审 …), the default list; `choices`:
 * the filter's other entries as [value, label]. Returns the element and `load()`.
 */
export function caseWorklist(msg, { waiting, choices, empty = '没有等待您处理的办件' }) {
  const statusSel = select([['waiting', '待我处理'], ...choices], { name: 'status' });
  const counts = h('div', { class: 'counts' });
  const mine = () => statusSel.value === 'waiting';
  const paged = pagedList({
    read: (key, cursor) => act(msg, () => getStaffApplications({ query: query(key, cursor) })),
    render: (items) => casesTable(items, { empty: mine() ? empty : '没有该状态的办件' }),
    order: (items) => (mine() ? items.sort((a, b) => when(a).localeCompare(when(b))) : items),
  });
  async function load() {
    const data = await act(msg, () => getStaffApplicationsCounts());
    if (data) {
      const rows = labelledCounts(data.items, waiting);
      clear(counts, countsBar(rows));
      countOptions(statusSel, data, rows);
    }
    await paged.load(mine() ? Object.keys(waiting) : [statusSel.value]);
  }
  statusSel.addEventListener('change', load);
  const el = h('div', {}, h('div', { class: 'card' }, counts, field('状态', statusSel), button('刷新', () => load())),
    section('办件', paged.el));
  return { el, load };
}
