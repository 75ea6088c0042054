// A case's detail: basic facts with the applicant (full identity only through the audited reveal),
// the timeline, materials, the form as filled and the moves the viewer may make.
import { myRoles } from '../../api.js';
import { getServicesById } from '../../api/catalogue.js';
import { postStaffResidentsByIdReveal } from '../../api/staff.js';
import { h, clear, field, input, button, act, notice, section, fmtTime } from '../../ui.js';
import { materialsSection } from '../materials/section.js';
import { lightBadge, personText, statusBadge } from './list.js';
import { movePanel } from './moves.js';

/** The applicant on the case page: masked; the full identity only through the audited reveal,
 * for a stated reason, to the clerk or approver handling the case. */
function applicantBlock(p) {
  if (!p) return '—';
  const out = h('div', {}, h('div', {}, personText(p)),
    p.phone_masked ? h('div', { class: 'muted' }, `联系电话 ${p.phone_masked}`) : null);
  const mine = myRoles();
  if (!p.name_masked || !(mine.has('clerk') || mine.has('approver'))) return out;
  const slot = h('div', { class: 'messages' });
  const reason = input({ name: 'reveal-reason', class: 'wide', maxlength: 200 });
  const go = h('button', { type: 'submit' }, '查看');
  const form = h('form', { class: 'reveal', hidden: true }, slot, field('查看理由（记入审计日志）', reason), go);
  const open = button('查看完整身份信息', () => { open.hidden = true; form.hidden = false; reason.focus(); }, { class: 'link' });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (reason.value.trim().length < 2) {
      notice(slot, '请填写查看理由', 'error');
      reason.focus();
      return;
    }
    const r = await act(slot, () => postStaffResidentsByIdReveal(p.id, { body: { reason: reason.value.trim() } }), go);
    if (r) clear(form, h('div', { class: 'revealed' }, `${r.name} ${r.id_number}`));
  });
  out.append(open, form);
  return out;
}


// Labels of fields the console's own window forms send, for a service whose definition lacks them.
const WINDOW_FORM_LABELS = { applicant_name: '申请人姓名', phone: '联系电话', contact_phone: '联系电话', note: '补充说明' };

/** The service's form definition (GET /services/{id}: guide.form); none when it cannot be read. */
export async function formDefinition(serviceId) {
  if (!serviceId) return [];
  try {
    const svc = await getServicesById(serviceId);
    return (svc.guide && svc.guide.form) || [];
  } catch {
    return [];
  }
}

function formLabel(key, defined, own) {
  if (own.has(key)) return own.get(key);
  if (defined.has(key)) return defined.get(key).label;
  if (WINDOW_FORM_LABELS[key]) return WINDOW_FORM_LABELS[key];
  return /[A-Za-z_]/.test(key) ? '其他填写内容' : key;
}

function formValue(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? '是' : '否';
  if (typeof v === 'object') return Object.values(v).map(formValue).join('、');
  return String(v);
}

/** The case's form as labelled fields: the labels the case carries (a 一件事's merged form), else the
 * service's form definition; in that order. ID numbers arrive masked. */
function formFields(form, definition, caseFields = []) {
  const own = new Map(caseFields.map((f) => [f.key, f.label]));
  const defined = new Map(definition.map((f) => [f.key, f]));
  const order = [...caseFields.map((f) => f.key), ...definition.map((f) => f.key)];
  const keys = [...new Set([...order.filter((k) => k in form), ...Object.keys(form)])];
  if (!keys.length) return h('p', { class: 'muted' }, '无');
  return h('dl', { class: 'props case-form' }, keys.map((k) => [
    h('dt', { dataset: { key: k } }, formLabel(k, defined, own)), h('dd', {}, formValue(form[k]))]));
}

function basicInfo(app) {
  return section('基本信息', h('dl', { class: 'props' },
    h('dt', {}, '办件编号'), h('dd', { class: 'serial' }, app.serial || app.id),
    h('dt', {}, '事项'), h('dd', {}, app.service_name || '—'),
    h('dt', {}, '部门'), h('dd', {}, app.department_name || app.department_id || '—'),
    h('dt', {}, '状态'), h('dd', { class: 'status' }, statusBadge(app.status, app.outcome)),
    h('dt', {}, '办结时限'), h('dd', {}, app.deadline ? fmtTime(app.deadline) : '—',
      app.deadline_provisional ? h('span', { class: 'badge yellow', title: '按暂定工作日历计算，录入国务院放假安排后重新计算' }, '暂定') : null),
    h('dt', {}, '督办'), h('dd', {}, lightBadge(app.light)),
    h('dt', {}, '申请人'), h('dd', { class: 'applicant' }, applicantBlock(app.applicant)),
  ));
}

function timelineSection(app, timeline) {
  return section('办理进度', timeline.length ? h('ol', { class: 'timeline' }, timeline.map((t) => h('li', {},
    h('time', {}, fmtTime(t.at)), statusBadge(t.status, t.status === 'rejected' ? app.outcome : null),
    t.note ? h('span', {}, ` ${t.note}`) : null,
    t.reason ? h('span', {}, ` 理由：${t.reason}`) : null,
    t.missing && t.missing.length ? h('span', {}, ` 缺少：${t.missing.join('、')}`) : null,
    t.actor && (t.actor.username || t.actor.display_name) ? h('span', { class: 'muted' }, `（${t.actor.display_name || t.actor.username}）`) : null,
  ))) : h('p', { class: 'muted' }, '暂无记录'));
}

export function caseView(app, onMoved, onChanged, definition = []) {
  const form = app.form || {};
  const materials = app.materials || [];
  const timeline = app.timeline || [];
  return h('div', { class: 'case-detail' },
    h('div', { class: 'cols-2' }, basicInfo(app), timelineSection(app, timeline)),
    materialsSection({ ...app, materials }, myRoles().has('clerk') || myRoles().has('approver'),
      onChanged || (() => {})),
    section('申请表', formFields(form, definition, app.form_fields || [])),
    movePanel(app, myRoles(), onMoved));
}
