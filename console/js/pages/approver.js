// Approver: the cases waiting for them — accepted and waiting for review, and in review — oldest
// first with their counts, and a search by serial, name or ID number; a case's page takes the
// decision (start review → approve / refuse with a reason / ask for a correction).
import { getStaffApplications } from '../api/cases.js';
import { h, clear, field, select, button, act, pageHeader, section } from '../ui.js';
import { casesTable, caseLookup } from '../views/case/list.js';

const WAITING = ['accepted', 'in_review'];
const CHOICES = [['waiting', '待我处理'], ['accepted', '已受理待审查'], ['in_review', '审查中'], ['approved', '已批准'],
  ['rejected', '不予批准']];
const LIMIT = 200;

const when = (c) => String(c.submitted_at || c.created_at || '');

async function casesIn(statuses, msg) {
  const pages = await Promise.all(statuses.map((st) => act(msg, () => getStaffApplications({ query: { status: st, limit: LIMIT } }))));
  if (pages.some((p) => !p)) return null;
  return { items: pages.flatMap((p) => p.items).sort((a, b) => when(a).localeCompare(when(b))),
    more: pages.some((p) => p.next_cursor), counts: Object.fromEntries(statuses.map((st, i) => [st, pages[i].items.length])) };
}

function counted(status, counts, more) {
  const n = (k) => `${counts[k]}${more ? '+' : ''}`;
  for (const opt of status.options) {
    const base = CHOICES.find(([k]) => k === opt.value)[1];
    if (opt.value === 'waiting') opt.textContent = `${base}（${n('accepted')} + ${n('in_review')}）`;
    else if (opt.value in counts) opt.textContent = `${base}（${n(opt.value)}）`;
  }
}

async function renderQueue(main) {
  const msg = pageHeader(main, '待审批', '已受理待审查和审查中的办件，最早提交的在前；点击办件编号查看全部材料与进度并作出决定。');
  const status = select(CHOICES, { name: 'status' });
  const list = h('div');
  main.append(caseLookup(), h('div', { class: 'card' }, field('状态', status), button('刷新', () => load())), section('办件', list));
  async function load() {
    const waiting = status.value === 'waiting';
    const found = await casesIn(waiting ? WAITING : [status.value], msg);
    if (!found) return;
    if (waiting) counted(status, found.counts, found.more);
    clear(list, casesTable(found.items, { empty: waiting ? '没有等待您处理的办件' : '没有该状态的办件' }));
  }
  status.addEventListener('change', load);
  await load();
}

export default [
  { path: 'approver/queue', title: '待审批', group: '审批', roles: ['approver'], render: renderQueue },
];
