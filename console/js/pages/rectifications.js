// 整改单 for the departments: the orders a poor rating opened on their cases, oldest first, each
// answered here (the answer goes to the resident who rated); the supervisor then closes it.
import { getStaffRectifications, postStaffRectificationsByIdReply } from '../api/supervision.js';
import { h, clear, field, select, button, act, notice, pageHeader, badge, fmtTime } from '../ui.js';

const STATUS = { open: '待答复', replied: '已答复（待监察办结）', closed: '已办结' };

function replyForm(r, slot, replied) {
  const text = h('textarea', { name: 'reply', rows: 3, class: 'wide', maxlength: 1000 });
  const send = button('答复群众', async (e) => {
    if (text.value.trim().length < 2) {
      notice(slot, '请写明整改情况及对群众的答复', 'error');
      return;
    }
    const done = await act(slot, () => postStaffRectificationsByIdReply(r.id, { body: { reply: text.value.trim() } }), e.target);
    if (done) await replied(`${r.serial || ''}：已答复，群众将收到答复`);
  }, { class: 'primary' });
  return h('div', { class: 'actions' }, field('整改情况及答复', text), send);
}

function card(r, replied) {
  const slot = h('div', { class: 'messages' });
  const due = r.due ? `答复期限 ${fmtTime(r.due).slice(0, 10)}` : '';
  return h('article', { class: 'card rectification', dataset: { rectification: r.id, status: r.status } },
    h('div', { class: 'row' }, h('strong', {}, `${r.service_name || '办件'} · `,
      r.application_id ? h('a', { href: `#/case/${r.application_id}` }, r.serial || '办件') : ''), ' ',
    badge(STATUS[r.status] || r.status, r.status === 'open' ? 'yellow' : 'green'), r.overdue ? badge('已逾期', 'red') : null),
    h('p', {}, `群众评价：${r.score ? `${r.score} 星` : ''}${r.comment ? `，${r.comment}` : ''}`),
    h('p', { class: 'muted' }, `开具 ${fmtTime(r.created_at)}　${due}　${r.department_name || ''}`),
    r.reply ? h('p', {}, `已答复：${r.reply}`) : null, slot,
    r.status === 'open' ? replyForm(r, slot, replied) : null);
}

async function renderRectifications(main) {
  const msg = pageHeader(main, '整改单', '群众差评生成的整改单，逾期前写明整改情况并答复群众；答复后由监察人员办结。');
  const status = select([['open', '待答复'], ['replied', '已答复'], ['closed', '已办结'], ['', '全部']], { name: 'status' });
  const list = h('div', { class: 'rectifications', 'aria-live': 'polite' });
  main.append(h('div', { class: 'card' }, field('状态', status)), list);
  async function load(said) {
    const data = await act(msg, () => getStaffRectifications({ query: status.value ? { status: status.value } : {} }));
    if (!data) return;
    const items = [...data.items].sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
    clear(list, items.length ? items.map((r) => card(r, load)) : h('p', { class: 'muted empty' }, '没有该状态的整改单'));
    if (said) notice(msg, said);
  }
  status.addEventListener('change', () => load());
  await load();
}

export default [
  { path: 'rectifications', title: '整改单', group: '办件', roles: ['clerk', 'approver'], render: renderRectifications },
];
