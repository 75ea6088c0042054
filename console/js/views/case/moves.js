// The moves on a case the viewer's roles may make (the contract's state machine), each with the
// form it needs: a reason for a refusal, the missing materials for a correction, why a case is
// completed with promised materials still open.
import { postStaffApplicationsByIdTransition } from '../../api/cases.js';
import { h, clear, field, input, button, act, notice, today } from '../../ui.js';
import { CASE_OUTCOME } from './list.js';

/** What refusing a case in this status is: 不予受理 before it was accepted, 不予批准 after. */
export function refusalLabel(app) {
  const accepted = (app.timeline || []).some((t) => t.status === 'accepted');
  return CASE_OUTCOME[accepted ? 'not_approved' : 'not_accepted'];
}

/** Which moves to offer: the contract's state machine, by the roles that make them. */
function movesFor(status, mine) {
  const out = [];
  const clerk = mine.has('clerk');
  const approver = mine.has('approver');
  if (status === 'submitted' && clerk) out.push('accepted', 'correction_requested', 'rejected');
  if (status === 'accepted' && (approver || clerk)) out.push('in_review'); // a clerk sends it on (送审)
  if (status === 'in_review' && approver) out.push('approved', 'rejected', 'correction_requested');
  if ((status === 'approved' || status === 'rejected') && clerk) out.push('completed');
  return out;
}

export const MOVE_LABEL = {
  accepted: '受理',
  in_review: '开始审查',
  approved: '批准',
  rejected: '不予批准',
  correction_requested: '要求补正',
  completed: '办结（出件）',
};

function materialName(m) {
  return m.name || m.key || '材料';
}

/** Each part of a move's form: `parts` to show, `fill(body, slot)` false when something is missing. */
function reasonPart() {
  const reason = h('textarea', { name: 'reason', required: true });
  return {
    parts: [field('理由（告知申请人）', reason)],
    fill(body, slot) {
      if (!reason.value.trim()) {
        notice(slot, '请填写理由', 'error');
        reason.focus();
        return false;
      }
      body.reason = reason.value.trim();
      return true;
    },
  };
}

function promisePart(open) {
  const promiseReason = h('textarea', { name: 'promise-reason', required: true });
  return {
    parts: [h('div', { class: 'alert warn', role: 'status' },
      `容缺受理的材料尚未补齐：${open.map((m) => m.name).join('、')}。`),
    field('仍予办结的原因（记入审计日志）', promiseReason)],
    fill(body, slot) {
      if (promiseReason.value.trim().length < 2) {
        notice(slot, '请写明容缺材料未补齐仍予办结的原因', 'error');
        promiseReason.focus();
        return false;
      }
      body.promise_reason = promiseReason.value.trim();
      return true;
    },
  };
}

function missingBox(m) {
  const rejected = !!(m.review && m.review.status === 'rejected');
  return h('label', {}, h('input', { type: 'checkbox', name: 'missing', value: m.key || materialName(m), checked: rejected }),
    ' ', materialName(m), rejected && m.review.reason ? h('span', { class: 'muted' }, `（${m.review.reason}）`) : null);
}

function correctionPart(app) {
  const mats = app.guide_materials || app.required_materials || app.materials || [];
  // Materials judged not acceptable are ticked already; the server words each with its reason.
  const missingBoxes = h('fieldset', {}, h('legend', {}, '缺少或需更正的材料'), mats.map(missingBox));
  const other = input({ class: 'wide', name: 'missing-other', placeholder: '其他（多项用逗号分隔）' });
  const due = input({ type: 'date', value: today(5), name: 'due' });
  return {
    parts: [missingBoxes, field('其他缺少的材料', other), field('补正期限', due)],
    fill(body, slot) {
      const keys = [...missingBoxes.querySelectorAll('input:checked')].map((i) => i.value);
      const missing = other.value.split(/[,，]/).map((x) => x.trim()).filter(Boolean);
      if (!keys.length && !missing.length) {
        notice(slot, '请选择或填写缺少的材料', 'error');
        return false;
      }
      if (keys.length) body.materials = keys;
      if (missing.length) body.missing = missing;
      if (due.value) body.due = due.value;
      return true;
    },
  };
}

function movePartsFor(to, app) {
  const extra = [];
  if (to === 'rejected') extra.push(reasonPart());
  const open = (app.materials || []).filter((m) => m.promise && m.promise.status === 'open');
  if (to === 'completed' && open.length) extra.push(promisePart(open));
  if (to === 'correction_requested') extra.push(correctionPart(app));
  return extra;
}

/** The form of one move, shown in `panel`; `onMoved(updated, to)` runs once the move is made. */
function showMove(to, app, { panel, slot, label, onMoved }) {
  const note = h('textarea', { name: 'note' });  // named by its <label>
  const extra = movePartsFor(to, app);
  const go = button('确认提交', async () => {
    const body = { to };
    if (note.value.trim()) body.note = note.value.trim();
    if (!extra.every((p) => p.fill(body, slot))) return;
    const updated = await act(slot, () => postStaffApplicationsByIdTransition(app.id, { body }), go);
    if (updated) onMoved(updated, to);
  }, { class: 'primary' });
  clear(panel, h('h3', {}, label(to)), ...extra.flatMap((p) => p.parts), field('办理意见（可选）', note),
    h('div', { class: 'actions' }, go, button('取消', () => clear(panel))));
  const first = panel.querySelector('textarea, input');
  if (first) first.focus();
}

/** The moves section of a case, or null when the viewer's roles make none. */
export function movePanel(app, mine, onMoved) {
  const moves = movesFor(app.status, mine);
  if (!moves.length) return null;
  const slot = h('div', { class: 'messages' });
  const panel = h('div', { class: 'move-form' });
  const sends = !mine.has('approver'); // a clerk's in_review hands the case to the approvers
  const label = (to) => (to === 'rejected' ? refusalLabel(app) : to === 'in_review' && sends ? '送审' : MOVE_LABEL[to]);
  const ctx = { panel, slot, label, onMoved };
  const choose = h('div', { class: 'actions' }, moves.map((to) => button(label(to), () => showMove(to, app, ctx),
    { class: to === 'rejected' ? 'danger' : 'primary', dataset: { move: to } })));
  return h('section', { class: 'card moves' }, h('h2', {}, '办理'), slot, choose, panel);
}
