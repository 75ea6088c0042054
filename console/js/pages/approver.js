// Approver: cases awaiting review (accepted → start review; in review → approve / reject with reason).
import { getStaffApplications } from '../api/cases.js';
import { h, clear, field, select, button, act, pageHeader, section } from '../ui.js';
import { casesTable } from '../views/case/list.js';

async function renderQueue(main) {
  const msg = pageHeader(main, '待审批', '已受理待审查、审查中的办件；点击办件编号查看全部材料与进度并作出决定。');
  const status = select([['in_review', '审查中'], ['accepted', '已受理待审查'], ['approved', '已批准'], ['rejected', '不予批准']],
    { name: 'status' });
  const list = h('div');
  main.append(h('div', { class: 'card' }, field('状态', status), button('刷新', () => load())), section('办件', list));
  async function load() {
    const data = await act(msg, () => getStaffApplications({ query: { status: status.value } }));
    if (data) clear(list, casesTable(data.items, { empty: '没有待处理的办件' }));
  }
  status.addEventListener('change', load);
  await load();
}

export default [
  { path: 'approver/queue', title: '待审批', group: '审批', roles: ['approver'], render: renderQueue },
];
