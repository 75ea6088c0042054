// 12345 work orders: one order's summary, and the hotline's triage card (assign or reassign to a
// department, answer directly, merge a duplicate into the original order).
import {
  postStaffComplaintsByIdAssign, postStaffComplaintsByIdContact, postStaffComplaintsByIdMerge, postStaffComplaintsByIdReply,
} from '../../api/complaints.js';
import { h, field, input, select, button, act, notice, badge, fmtTime } from '../../ui.js';
import { STATUS_LABELS } from '../../status-labels.js';
import { fileTile } from '../materials/section.js';

const COMPLAINT_STATUS = STATUS_LABELS.complaint;
const LIGHT = { green: ['绿灯', 'green'], yellow: ['黄灯', 'yellow'], red: ['红灯', 'red'] };

function lightBadge(c) {
  if (!c.light) return null;
  const [text, kind] = LIGHT[c.light];
  return badge(text, kind);
}

export function summary(c) {
  return h('div', {},
    h('div', { class: 'row' },
      h('strong', {}, `${c.category_name} · ${c.serial}`), ' ',
      badge(COMPLAINT_STATUS[c.status] || c.status, c.status === 'received' ? 'blue' : ''), lightBadge(c)),
    h('p', { class: 'complaint-content' }, c.content),
    h('p', { class: 'muted' },
      `登记 ${fmtTime(c.created_at)}`,
      c.due ? `　${c.stage === 'assign' ? '分派' : '答复'}时限 ${fmtTime(c.due)}` : '',
      c.location ? `　地点：${c.location}` : '',
      c.contact_ok ? '　群众同意联系' + (c.contact_phone_masked ? '' : '（未留电话）') : '　群众不愿被联系',
      c.department_name ? `　承办：${c.department_name}` : '',
      c.reopened ? '　（群众不满意，已退回重办）' : ''),
    c.reply ? h('p', { class: 'muted' }, `答复（${c.reply.by}，${fmtTime(c.reply.at)}）：${c.reply.text}`) : null,
    contactRow(c), photos(c));
}

// The phone a resident left for contact: masked, in full on a click (the look is audited; only
// whoever handles the complaint now may).
function contactRow(c) {
  if (!c.contact_ok || !c.contact_phone_masked) return null;
  const slot = h('span', { class: 'messages' });
  const number = h('strong', { class: 'contact-phone' }, c.contact_phone_masked);
  const show = button('查看完整号码', async (e) => {
    const r = await act(slot, () => postStaffComplaintsByIdContact(c.id), e.target);
    if (r) { number.textContent = r.phone; show.remove(); }
  }, { class: 'small' });
  return h('p', { class: 'contact-row' }, '联系电话：', number, ' ', show, slot);
}

// The photos the resident attached (找茬 一键拍照), as thumbnails; a click opens one full size.
function photos(c) {
  const ids = c.attachments || [];
  if (!ids.length) return null;
  const slot = h('div', { class: 'messages' });
  return h('div', { class: 'complaint-photos' }, h('span', { class: 'muted' }, `群众附照片 ${ids.length} 张：`),
    h('div', { class: 'file-tiles' }, ...ids.map((id, i) => fileTile({ id, name: `照片${i + 1}`, has_thumbnail: true }, slot))),
    slot);
}

function assignRow(c, depts, slot, done) {
  const dep = select([['', '请选择承办部门'], ...depts.map((d) => [d.id, d.name])], { name: 'department' });
  const assign = button(c.status === 'received' ? '分派' : '改派', async (e) => {
    if (!dep.value) {
      notice(slot, '请先选择承办部门', 'error');
      return;
    }
    await done(`已分派到${dep.selectedOptions[0].textContent}`, await act(slot,
      () => postStaffComplaintsByIdAssign(c.id, { body: { department_id: dep.value } }), e.target));
  }, { class: 'primary' });
  return h('div', { class: 'actions' }, field('承办部门', dep), assign);
}

function answerRows(c, slot, done) {
  const answer = h('textarea', { name: 'reply', rows: 2, class: 'wide' });
  const reply = button('直接答复', async (e) => {
    await done('已直接答复', await act(slot,
      () => postStaffComplaintsByIdReply(c.id, { body: { reply: answer.value.trim() } }), e.target));
  });
  const into = input({ name: 'into', placeholder: 'GD 开头的原工单号', autocomplete: 'off' });
  const merge = button('合并', async (e) => {
    await done('已合并到原工单', await act(slot,
      () => postStaffComplaintsByIdMerge(c.id, { body: { into: into.value.trim().toUpperCase() } }), e.target));
  });
  return [h('div', { class: 'actions' }, field('直接答复内容', answer), reply),
    h('div', { class: 'actions' }, field('重复反映，合并到', into), merge)];
}

/** One order as the hotline triages it; `done(label, result)` runs after each action. */
export function triageCard(c, depts, done) {
  const slot = h('div', { class: 'messages' });
  const box = h('article', { class: 'card complaint', dataset: { serial: c.serial } }, summary(c), slot);
  const after = (label, r) => done(c, label, r);
  if (c.status === 'received' || c.status === 'assigned') box.append(assignRow(c, depts, slot, after));
  if (c.status === 'received') box.append(...answerRows(c, slot, after));
  return box;
}
