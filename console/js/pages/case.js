// A case (办件): full detail with timeline and materials, and the moves the viewer's roles may make.
// Shared by clerks (accept / correction / complete), approvers (review / decide) and supervisors (read).
import { currentSession } from '../api.js';
import { getStaffApplications, getStaffApplicationsById, postStaffApplicationsByIdTransition } from '../api/cases.js';
import { getServicesById } from '../api/catalogue.js';
import { getStaffPayments, postStaffPayments } from '../api/payments.js';
import { postStaffResidentsByIdReveal } from '../api/staff.js';
import {
  h, clear, field, input, button, table, act, notice, pageHeader, section, badge, fmtTime, fen,
  confirmDialog, CASE_STATUS, today,
} from '../ui.js';
import { STATUS_LABELS } from '../status-labels.js';
import { itemsEditor, payBadge } from './finance.js';
import { materialsSection } from './materials.js';

// A finished case takes no new payment order.
const FINISHED = new Set(['completed', 'rejected', 'withdrawn']);
const LIGHT = { green: ['绿灯', 'green'], yellow: ['黄灯', 'yellow'], red: ['红灯', 'red'] };

const CASE_OUTCOME = STATUS_LABELS.case_outcome;

/** A case's status; a refusal says which it was (不予受理 or 不予批准) when its outcome is given. */
export function statusBadge(status, outcome) {
  const kind = { approved: 'green', completed: 'green', rejected: 'red', correction_requested: 'yellow' }[status] || 'blue';
  const text = (status === 'rejected' && CASE_OUTCOME[outcome]) || CASE_STATUS[status] || status;
  return badge(text, kind);
}

/** What refusing a case in this status is: 不予受理 before it was accepted, 不予批准 after. */
function refusalLabel(app) {
  const accepted = (app.timeline || []).some((t) => t.status === 'accepted');
  return CASE_OUTCOME[accepted ? 'not_approved' : 'not_accepted'];
}

export function lightBadge(light) {
  if (!light || !LIGHT[light]) return '—';
  return h('span', { class: 'nowrap' }, h('span', { class: `dot ${light}`, 'aria-hidden': 'true' }), LIGHT[light][0]);
}

/** A resident as staff lists show one: masked name, masked ID number. */
export function personText(p) {
  if (!p) return '—';
  return h('span', { class: 'person' }, p.name_masked || '未实名',
    p.id_number_masked ? h('span', { class: 'muted id-number' }, ` ${p.id_number_masked}`) : null);
}

/** The applicant on the case page: masked; the full identity only through the audited reveal,
 * for a stated reason, to the clerk or approver handling the case. */
function applicantBlock(p) {
  if (!p) return '—';
  const out = h('div', {}, h('div', {}, personText(p)),
    p.phone_masked ? h('div', { class: 'muted' }, `联系电话 ${p.phone_masked}`) : null);
  const mine = roles();
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

/** Find cases by serial (办件编号), or by the applicant's full name or full ID number. */
export function caseLookup() {
  const slot = h('div', { class: 'messages' });
  const q = input({ name: 'case-q', class: 'wide', autocomplete: 'off', maxlength: 40 });
  const go = h('button', { type: 'submit' }, '查找');
  const results = h('div', { class: 'lookup-results' });
  const form = h('form', { class: 'card case-lookup', role: 'search' }, slot,
    field('查找办件', q, '办件编号、申请人完整姓名或完整身份证号'), go, results);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = q.value.trim();
    if (text.length < 2) {
      notice(slot, '请输入办件编号、申请人姓名或身份证号', 'error');
      return;
    }
    const data = await act(slot, () => getStaffApplications({ query: { q: text } }), go);
    if (data) clear(results, casesTable(data.items, { empty: '未找到办件，请核对后重试' }));
  });
  return form;
}

/** Table of cases linking to their detail page. */
export function casesTable(items, { empty = '没有办件' } = {}) {
  return table([
    { label: '办件编号', render: (c) => h('a', { href: `#/case/${c.id}`, class: 'serial' }, c.serial || c.id) },
    { label: '事项', render: (c) => c.service_name || '—' },
    { label: '申请人', render: (c) => personText(c.applicant) },
    { label: '状态', render: (c) => statusBadge(c.status, c.outcome) },
    { label: '时限', render: (c) => (c.deadline ? `${fmtTime(c.deadline).slice(0, 10)}${c.deadline_provisional ? '（暂定）' : ''}` : '—') },
    { label: '督办', render: (c) => lightBadge(c.light) },
    { label: '提交时间', render: (c) => fmtTime(c.submitted_at || c.created_at) },
  ], items, { empty, rowAttrs: (c) => ({ dataset: { serial: c.serial || '', status: c.status } }) });
}

function roles() {
  const s = currentSession();
  return new Set((s && s.staff && s.staff.roles) || []);
}

/** Which moves to offer: the contract's state machine, by the roles that make them. */
function movesFor(status, mine) {
  const out = [];
  const clerk = mine.has('clerk');
  const approver = mine.has('approver');
  if (status === 'submitted' && clerk) out.push('accepted', 'correction_requested', 'rejected');
  if (status === 'accepted' && approver) out.push('in_review');
  if (status === 'in_review' && approver) out.push('approved', 'rejected', 'correction_requested');
  if ((status === 'approved' || status === 'rejected') && clerk) out.push('completed');
  return out;
}

const MOVE_LABEL = {
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

function movePanel(app, onMoved) {
  const mine = roles();
  const moves = movesFor(app.status, mine);
  if (!moves.length) return null;
  const slot = h('div', { class: 'messages' });
  const panel = h('div', { class: 'move-form' });
  const moveLabel = (to) => (to === 'rejected' ? refusalLabel(app) : MOVE_LABEL[to]);
  const choose = h('div', { class: 'actions' }, moves.map((to) => button(moveLabel(to), () => show(to),
    { class: to === 'rejected' ? 'danger' : 'primary', dataset: { move: to } })));

  function show(to) {
    const note = h('textarea', { name: 'note' });  // named by its <label>
    const parts = [h('h3', {}, moveLabel(to))];
    let reason = null;
    let missingBoxes = null;
    let other = null;
    let due = null;
    if (to === 'rejected') {
      reason = h('textarea', { name: 'reason', required: true });
      parts.push(field('理由（告知申请人）', reason));
    }
    const open = (app.materials || []).filter((m) => m.promise && m.promise.status === 'open');
    let promiseReason = null;
    if (to === 'completed' && open.length) {
      promiseReason = h('textarea', { name: 'promise-reason', required: true });
      parts.push(h('div', { class: 'alert warn', role: 'status' },
        `容缺受理的材料尚未补齐：${open.map((m) => m.name).join('、')}。`),
      field('仍予办结的原因（记入审计日志）', promiseReason));
    }
    if (to === 'correction_requested') {
      const mats = app.guide_materials || app.required_materials || app.materials || [];
      // Materials judged not acceptable are ticked already; the server words each with its reason.
      missingBoxes = h('fieldset', {}, h('legend', {}, '缺少或需更正的材料'),
        mats.map((m) => h('label', {}, h('input', { type: 'checkbox', name: 'missing', value: m.key || materialName(m),
          checked: !!(m.review && m.review.status === 'rejected') }), ' ', materialName(m),
        m.review && m.review.status === 'rejected' && m.review.reason ? h('span', { class: 'muted' }, `（${m.review.reason}）`) : null)));
      other = input({ class: 'wide', name: 'missing-other', placeholder: '其他（多项用逗号分隔）' });
      due = input({ type: 'date', value: today(5), name: 'due' });
      parts.push(missingBoxes, field('其他缺少的材料', other), field('补正期限', due));
    }
    parts.push(field('办理意见（可选）', note));
    const go = button('确认提交', async () => {
      const body = { to };
      if (note.value.trim()) body.note = note.value.trim();
      if (reason) {
        if (!reason.value.trim()) {
          notice(slot, '请填写理由', 'error');
          reason.focus();
          return;
        }
        body.reason = reason.value.trim();
      }
      if (promiseReason) {
        if (promiseReason.value.trim().length < 2) {
          notice(slot, '请写明容缺材料未补齐仍予办结的原因', 'error');
          promiseReason.focus();
          return;
        }
        body.promise_reason = promiseReason.value.trim();
      }
      if (missingBoxes) {
        const keys = [...missingBoxes.querySelectorAll('input:checked')].map((i) => i.value);
        const missing = other.value.split(/[,，]/).map((x) => x.trim()).filter(Boolean);
        if (!keys.length && !missing.length) {
          notice(slot, '请选择或填写缺少的材料', 'error');
          return;
        }
        if (keys.length) body.materials = keys;
        if (missing.length) body.missing = missing;
        if (due.value) body.due = due.value;
      }
      const updated = await act(slot, () => postStaffApplicationsByIdTransition(app.id, { body }), go);
      if (updated) onMoved(updated, to);
    }, { class: 'primary' });
    clear(panel, ...parts, h('div', { class: 'actions' }, go, button('取消', () => clear(panel))));
    const first = panel.querySelector('textarea, input');
    if (first) first.focus();
  }

  return h('section', { class: 'card moves' }, h('h2', {}, '办理'), slot, choose, panel);
}

// Labels of fields the console's own window forms send, for a service whose definition lacks them.
const WINDOW_FORM_LABELS = { applicant_name: '申请人姓名', phone: '联系电话', contact_phone: '联系电话', note: '补充说明' };

/** The service's form definition (GET /services/{id}: guide.form); none when it cannot be read. */
async function formDefinition(serviceId) {
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

export function caseView(app, onMoved, onChanged, definition = []) {
  const form = app.form || {};
  const materials = app.materials || [];
  const timeline = app.timeline || [];
  return h('div', { class: 'case-detail' },
    h('div', { class: 'cols-2' },
      section('基本信息', h('dl', { class: 'props' },
        h('dt', {}, '办件编号'), h('dd', { class: 'serial' }, app.serial || app.id),
        h('dt', {}, '事项'), h('dd', {}, app.service_name || '—'),
        h('dt', {}, '部门'), h('dd', {}, app.department_name || app.department_id || '—'),
        h('dt', {}, '状态'), h('dd', { class: 'status' }, statusBadge(app.status, app.outcome)),
        h('dt', {}, '办结时限'), h('dd', {}, app.deadline ? fmtTime(app.deadline) : '—',
          app.deadline_provisional ? h('span', { class: 'badge yellow', title: '按暂定工作日历计算，录入国务院放假安排后重新计算' }, '暂定') : null),
        h('dt', {}, '督办'), h('dd', {}, lightBadge(app.light)),
        h('dt', {}, '申请人'), h('dd', { class: 'applicant' }, applicantBlock(app.applicant)),
      )),
      section('办理进度', timeline.length ? h('ol', { class: 'timeline' }, timeline.map((t) => h('li', {},
        h('time', {}, fmtTime(t.at)), statusBadge(t.status, t.status === 'rejected' ? app.outcome : null),
        t.note ? h('span', {}, ` ${t.note}`) : null,
        t.reason ? h('span', {}, ` 理由：${t.reason}`) : null,
        t.missing && t.missing.length ? h('span', {}, ` 缺少：${t.missing.join('、')}`) : null,
        t.actor && (t.actor.username || t.actor.display_name) ? h('span', { class: 'muted' }, `（${t.actor.display_name || t.actor.username}）`) : null,
      ))) : h('p', { class: 'muted' }, '暂无记录'))),
    materialsSection({ ...app, materials }, roles().has('clerk') || roles().has('approver'),
      onChanged || (() => {})),
    section('申请表', formFields(form, definition, app.form_fields || [])),
    movePanel(app, onMoved));
}

async function renderCase(main, params) {
  const msg = pageHeader(main, '办件详情');
  const holder = h('div');
  main.append(h('p', {}, button('返回', () => history.back(), { class: 'link' })), holder);
  async function load(flash) {
    const app = await act(msg, () => getStaffApplicationsById(params.id));
    if (!app) return;
    const definition = await formDefinition(app.service_id);
    clear(holder, caseView(app, (updated, to) => load(`已${to === 'rejected' ? refusalLabel(app) : MOVE_LABEL[to]}：`
      + `${(updated.status === 'rejected' && CASE_OUTCOME[updated.outcome]) || CASE_STATUS[updated.status] || updated.status}`),
      (updated, said) => load(said), definition));
    if (flash) notice(msg, flash);
    if (roles().has('clerk')) holder.append(await feesSection(app));
  }
  await load();
}

/** Fees of the case at the window: its payment orders, and a new one (clerks may open orders). */
async function feesSection(app) {
  const slot = h('div', { class: 'messages' });
  const list = h('div');
  const items = itemsEditor();
  const create = h('button', { type: 'submit', class: 'primary' }, '开具缴款单');
  const form = h('form', { class: 'case-payment' }, items, create);
  async function load() {
    const data = await act(slot, () => getStaffPayments({ query: { application_id: app.id } }));
    if (data) {
      clear(list, table([
        { label: '金额', render: (p) => fen(p.amount_fen) },
        { label: '项目', render: (p) => (p.case_items || p.items || []).map((i) => `${i.name}（${i.payee_unit || '—'}）`).join('、') },
        { label: '状态', render: (p) => (p.case_note ? h('span', {}, payBadge(p.status, p.status_text), ` ${p.case_note}`) : payBadge(p.status, p.status_text)) },
        { label: '开具时间', render: (p) => fmtTime(p.created_at) },
      ], data.items, { empty: '未开具缴款单' }));
    }
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const its = items.value();
    if (!its.length || its.some((i) => !i.name || Number.isNaN(i.amount_fen) || i.amount_fen <= 0)) {
      notice(slot, '请填写收费项目名称和金额（元，最多两位小数）', 'error');
      return;
    }
    const total = its.reduce((a, i) => a + i.amount_fen, 0);
    if (!(await confirmDialog('开具缴款单？', [`办件 ${app.serial || app.id}`, `合计 ${fen(total)}，申请人将在小程序中支付。`]))) return;
    const p = await act(slot, () => postStaffPayments({ body: { application_id: app.id, items: its } }), create);
    if (p) {
      notice(slot, `已开具缴款单 ${fen(p.amount_fen)}`);
      await load();
    }
  });
  await load();
  if (FINISHED.has(app.status)) return h('section', { class: 'card fees' }, h('h2', {}, '缴费'), slot, list);
  return h('section', { class: 'card fees' }, h('h2', {}, '缴费'), slot, list, h('h3', {}, '开具缴款单'), form);
}

export default [
  { path: 'case/:id', title: '办件详情', group: '办件', roles: ['clerk', 'approver', 'supervisor'], nav: false, render: renderCase },
];

