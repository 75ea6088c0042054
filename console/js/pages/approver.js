// Approver: the cases waiting for them — accepted and waiting for review, and in review — counted by
// the server and listed oldest first, and a search by serial, name or ID number; a case's page takes
// the decision (start review → approve / refuse with a reason / ask for a correction).
import { pageHeader } from '../ui.js';
import { caseLookup } from '../views/case/list.js';
import { caseWorklist } from '../views/case/worklist.js';

async function renderQueue(main) {
  const msg = pageHeader(main, '待审批', '已受理待审查和审查中的办件，最早提交的在前；点击办件编号查看全部材料与进度并作出决定。');
  const { el, load } = caseWorklist(msg, {
    waiting: { accepted: '已受理待审查', in_review: '审查中' },
    choices: [['accepted', '已受理待审查'], ['in_review', '审查中'], ['approved', '已批准'], ['rejected', '不予批准']],
  });
  main.append(caseLookup(), el);
  await load();
}

export default [
  { path: 'approver/queue', title: '待审批', group: '审批', roles: ['approver'], render: renderQueue },
];
