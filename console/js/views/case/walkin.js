// A case taken at the window: who applies (found by what they bring, shown masked), the service,
// the materials received and the resident's 办事码; a second open case for the same person and
// service is confirmed first.
import { getStaffAppointments } from '../../api/appointments.js';
import { getStaffApplications, postStaffApplications } from '../../api/cases.js';
import { getStaffResidents } from '../../api/staff.js';
import { h, clear, field, input, select, button, act, notice, fmtTime, confirmDialog } from '../../ui.js';
import { personText } from './list.js';

/** The residents a text names: a case serial's applicant, an ID number, a booking code's resident, or a name. */
async function lookup(text) {
  const compact = text.replace(/\s+/g, '').toUpperCase();
  if (/^ZJB\d{14}$/.test(compact)) {
    return (await getStaffApplications({ query: { serial: compact } })).items.map((c) => c.applicant);
  }
  if (/^\d{17}[\dX]$/.test(compact)) return (await getStaffResidents({ query: { q: compact } })).items;
  if (/^[A-Z0-9]{4,16}$/.test(compact)) {
    const booked = (await getStaffAppointments({ query: { code: compact } })).items;
    if (booked.length) return booked.map((a) => a.resident);
  }
  return (await getStaffResidents({ query: { q: text } })).items;
}

/** The residents found, once each, to pick one from (picked already when there is only one). */
function candidates(found) {
  const people = [...new Map(found.filter(Boolean).map((p) => [p.id, p])).values()];
  if (!people.length) {
    return h('div', { class: 'alert warn', role: 'status' }, '未找到该居民，请核对；居民须先在小程序完成实名认证');
  }
  return h('fieldset', {}, h('legend', {}, '选择申请人'), people.map((p) => h('label', { class: 'candidate' },
    h('input', { type: 'radio', name: 'resident', value: p.id, checked: people.length === 1 }), ' ', personText(p))));
}

/** Who applies at the window, found by what they bring: a full ID number or name, an earlier case's
 * serial, or their booking code. Shown masked; the clerk picks one (`chosen()` is that resident). */
export function residentFinder() {
  const slot = h('div', { class: 'messages' });
  const q = input({ name: 'applicant-q', class: 'wide', autocomplete: 'off', maxlength: 40 });
  const go = button('查找申请人', () => find());
  const list = h('div', { class: 'candidates', 'aria-live': 'polite' });
  const el = h('div', { class: 'resident-finder' }, slot,
    field('申请人', q, '身份证号、姓名、办件编号或预约码'), h('div', { class: 'field' }, go), list);
  q.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      find();
    }
  });

  async function find() {
    const text = q.value.trim();
    if (text.length < 2) {
      notice(slot, '请输入申请人的身份证号、姓名、办件编号或预约码', 'error');
      return;
    }
    const found = await act(slot, () => lookup(text), go);
    if (!found) return;
    clear(list, candidates(found));
  }

  el.chosen = () => {
    const picked = list.querySelector('input[name=resident]:checked');
    return picked ? picked.value : null;
  };
  el.reset = () => clear(list);
  return el;
}


/** The materials checklist, refilled for the service chosen in `svc`; `fill()` refills it. */
function receivedMaterials(svc, services) {
  const mats = h('fieldset', {}, h('legend', {}, '已收材料'));
  mats.fill = () => {
    const s = services.find((x) => x.id === svc.value);
    clear(mats, h('legend', {}, '已收材料'), ...((s && s.guide.materials) || []).map((m) => h('label', {},
      h('input', { type: 'checkbox', name: 'received', value: m.key, dataset: { name: m.name } }), ' ', m.name, m.required ? '' : '（非必须）')));
  };
  svc.addEventListener('change', mats.fill);
  mats.fill();
  return mats;
}

/** Register the case; an open case of the same person and service is confirmed before a second one. */
async function registerCase(slot, body, submit) {
  let app = await act(slot, () => postStaffApplications({ body }).catch((err) => {
    if (err.code === 'open_case_exists') return { openCase: err };
    throw err;
  }), submit);
  if (app && app.openCase) {
    const d = app.openCase.details || {};
    const again = await confirmDialog('该居民已有同一事项正在办理', [
      `办件编号 ${d.serial || ''}，当前状态：${d.status_name || ''}，登记于 ${fmtTime(d.created_at)}。`,
      '如确属另一次申请（而非重复登记），请确认后继续登记。'], { okLabel: '仍要登记' });
    app = again ? await act(slot, () => postStaffApplications({ body: { ...body, confirm: true } }), submit) : undefined;
    if (!again) notice(slot, `未重复登记；已有办件 ${d.serial || ''}`);
  }
  return app;
}

/** The request body, or a message saying what is missing. */
function walkInBody(c) {
  const residentId = c.finder.chosen();
  if (!residentId && !c.code.value.trim()) return { error: '请先查找并选择申请人' };
  if (!c.code.value.trim()) return { error: '请扫描申请人的办事码（本人到场）；居民授权代办的请到“帮办代办”办理' };
  return { body: {
    service_id: c.svc.value,
    identity_code: c.code.value.trim(),
    ...(residentId ? { resident_id: residentId } : {}),
    form: c.phone.value.trim() ? { phone: c.phone.value.trim() } : {},
    materials: [...c.mats.querySelectorAll('input:checked')].map((i) => i.value),
  } };
}

/** The window's case registration form; `registered()` runs after a case is registered. */
export function walkInCaseForm(services, registered) {
  const slot = h('div', { class: 'messages' });
  const svc = select(services.map((s) => [s.id, `${s.name}（${s.department_name}）`]), { name: 'service' });
  const c = {
    svc, finder: residentFinder(),
    code: input({ name: 'identity_code', autocomplete: 'off', spellcheck: 'false', class: 'wide' }),
    phone: input({ name: 'phone', inputmode: 'tel' }),
  };
  c.mats = receivedMaterials(svc, services);
  const submit = h('button', { type: 'submit', class: 'primary' }, '登记收件');
  const form = h('form', { class: 'walkin-case' }, slot, field('事项', svc), c.finder,
    field('居民办事码', c.code, '本人到场：请居民打开小程序“我的办事码”，扫码枪扫描（约一分钟有效）；居民授权代办的请到“帮办代办”办理'),
    field('联系电话', c.phone), c.mats, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const { body, error } = walkInBody(c);
    if (error) {
      notice(slot, error, 'error');
      return;
    }
    const app = await registerCase(slot, body, submit);
    if (app) {
      notice(slot, `已登记办件 ${app.serial}（${fmtTime(app.created_at || app.submitted_at)}）`);
      form.reset();
      c.finder.reset();
      c.mats.fill();
      await registered();
    }
  });
  return form;
}
