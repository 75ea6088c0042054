// Ratings and rectification orders: the residents' ratings of cases, and the orders a poor rating
// opens (the department replies, the supervisor closes them).
import { postStaffRectificationsByIdClose } from '../../api/supervision.js';
import { h, button, table, act, notice, badge, fmtTime } from '../../ui.js';

const caseLink = (r) => (r.application_id ? h('a', { href: `#/case/${r.application_id}` }, r.serial || r.application_id) : '—');

function stars(r) {
  const kind = r.score <= 2 ? 'red' : r.score >= 4 ? 'green' : 'yellow';
  return h('span', { class: 'nowrap' }, badge('★'.repeat(r.score || 0) + '☆'.repeat(5 - (r.score || 0)), kind), `${r.score} 星`);
}

export function ratingsTable(items) {
  return table([
    { label: '时间', render: (r) => fmtTime(r.created_at || r.at) },
    { label: '办件', render: caseLink },
    { label: '事项', render: (r) => r.service_name || '—' },
    { label: '部门', render: (r) => r.department_name || '—' },
    { label: '评分', render: stars },
    { label: '评价内容', render: (r) => r.comment || '—' },
  ], items, { empty: '暂无评价' });
}

/** 办结整改 for an open order; messages go to `msg`, `closed()` runs once it is closed. */
function closeButton(r, msg, closed) {
  const b = button('办结整改', async () => {
    const done = await act(msg, () => postStaffRectificationsByIdClose(r.id), b);
    if (done) {
      notice(msg, '整改单已办结');
      await closed();
    }
  });
  return b;
}

export function rectificationsTable(items, msg, closed) {
  return table([
    { label: '开具时间', render: (r) => fmtTime(r.created_at) },
    { label: '办件', render: caseLink },
    { label: '事项', render: (r) => r.service_name || '—' },
    { label: '部门', render: (r) => r.department_name || '—' },
    { label: '群众评价', render: (r) => [r.score ? `${r.score} 星` : '', r.comment || ''].filter(Boolean).join('：') || '—' },
    { label: '答复期限', render: (r) => (r.due ? h('span', { class: 'nowrap' }, fmtTime(r.due).slice(0, 10), r.overdue ? badge('已逾期', 'red') : '') : '—') },
    { label: '部门答复', render: (r) => r.reply || '—' },
    { label: '状态', render: (r) => badge({ open: '未办结', replied: '已答复', closed: '已办结' }[r.status] || r.status, r.status === 'closed' ? 'green' : 'yellow') },
    { label: '操作', render: (r) => (r.status !== 'closed' ? closeButton(r, msg, closed) : '') },
  ], items, { empty: '没有整改单', rowAttrs: (r) => ({ dataset: { rectification: r.id, status: r.status } }) });
}
