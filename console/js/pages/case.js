// A case (办件): full detail with timeline and materials, and the moves the viewer's roles may make.
// Shared by clerks (accept / correction / complete), approvers (review / decide) and supervisors (read).
// The page composes the render helpers in views/case/.
import { getStaffApplicationsById } from '../api/cases.js';
import { h, clear, button, act, notice, pageHeader, CASE_STATUS } from '../ui.js';
import { CASE_OUTCOME } from '../views/case/list.js';
import { MOVE_LABEL, refusalLabel } from '../views/case/moves.js';
import { myRoles } from '../api.js';
import { caseView, formDefinition } from '../views/case/detail.js';
import { feesSection } from '../views/case/fees.js';
import { licenceSection } from '../views/case/licence.js';

/** What the page says after a move: the move made, and the status the case is in now. */
function movedMessage(app, updated, to) {
  const said = to === 'in_review' && !myRoles().has('approver') ? '送审' : MOVE_LABEL[to];
  return `已${to === 'rejected' ? refusalLabel(app) : said}：`
    + `${(updated.status === 'rejected' && CASE_OUTCOME[updated.outcome]) || CASE_STATUS[updated.status] || updated.status}`;
}

async function renderCase(main, params) {
  const msg = pageHeader(main, '办件详情');
  const holder = h('div');
  main.append(h('p', {}, button('返回', () => history.back(), { class: 'link' })), holder);
  async function load(flash) {
    const app = await act(msg, () => getStaffApplicationsById(params.id));
    if (!app) return;
    const definition = await formDefinition(app.service_id);
    clear(holder, caseView(app, (updated, to) => load(movedMessage(app, updated, to)),
      (updated, said) => load(said), definition));
    if (flash) notice(msg, flash);
    if (myRoles().has('clerk')) holder.append(await feesSection(app));
    const licence = await licenceSection(app);
    if (licence) holder.append(licence);
  }
  await load();
}

export default [
  { path: 'case/:id', title: '办件详情', group: '办件', roles: ['clerk', 'approver', 'supervisor'], nav: false, render: renderCase },
];
