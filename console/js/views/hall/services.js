// Services and their guides: the services table and one service's editor.
import { patchStaffServicesById } from '../../api/catalogue.js';
import { h, field, input, select, button, table, act, notice, badge, fen, yuanToFen, confirmDialog } from '../../ui.js';
import { materialsEditor } from './editors.js';

/** The services found; `edit(service)` opens one. */
export function servicesTable(items, edit) {
  return table([
    { label: '事项', render: (s) => button(s.name, () => edit(s), { class: 'link' }) },
    { label: '部门', render: (s) => s.department_name },
    { label: '收费', render: (s) => fen(s.guide.fee_fen) },
    { label: '承诺时限', render: (s) => `${s.guide.promised_days} 个工作日` },
    { label: '预约', render: (s) => (s.guide.bookable ? badge('可预约', 'green') : '—') },
  ], items, { empty: '没有找到事项' });
}

function serviceControls(svc, halls) {
  const g = svc.guide;
  return {
    name: input({ value: svc.name, class: 'wide' }),
    fee: input({ value: (g.fee_fen / 100).toFixed(2), class: 'narrow', inputmode: 'decimal' }),
    promised: input({ type: 'number', min: 0, max: 365, value: g.promised_days, class: 'narrow' }),
    statutory: input({ type: 'number', min: 0, max: 365, value: g.statutory_days, class: 'narrow' }),
    bookable: h('input', { type: 'checkbox', checked: g.bookable }),
    status: select([['active', '在办'], ['inactive', '停用']], { value: svc.status }),
    hallBox: h('fieldset', {}, h('legend', {}, '办理大厅'), halls.map((x) => h('label', {},
      h('input', { type: 'checkbox', name: 'svc-halls', value: x.id, checked: (svc.hall_ids || []).includes(x.id) }), ' ', x.name))),
    mats: materialsEditor(g.materials || []),
  };
}

/** The guide to send: the edited values over the old guide, without empty (null) entries. */
function guideOf(g, c, feeFen) {
  const guide = {
    ...g, fee_fen: feeFen, promised_days: Number(c.promised.value), statutory_days: Number(c.statutory.value),
    bookable: c.bookable.checked, materials: c.mats.value(),
  };
  for (const k of Object.keys(guide)) if (guide[k] === null) delete guide[k];
  guide.materials = guide.materials.map((m) => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== null)));
  return guide;
}

async function saveService(svc, c, slot, save) {
  const feeFen = yuanToFen(c.fee.value);
  if (Number.isNaN(feeFen)) {
    notice(slot, '收费金额格式不正确，例如 10 或 10.50', 'error');
    return null;
  }
  const guide = guideOf(svc.guide, c, feeFen);
  if (c.status.value === 'inactive' && svc.status !== 'inactive' && !(await confirmDialog(`停用事项 ${svc.name}？`,
    ['停用后群众将查不到该事项；目前的公开列表不含已停用的事项，本页之后也无法再选中它。'],
    { okLabel: '停用', danger: true }))) return null;
  return act(slot, () => patchStaffServicesById(svc.id, { body: {
    name: c.name.value.trim(), status: c.status.value, guide,
    hall_ids: [...c.hallBox.querySelectorAll('input:checked')].map((i) => i.value),
  } }), save);
}

/** One service's editor; `saved(updated)` runs after a save. Returns the form and its first control. */
export function serviceForm(svc, halls, saved) {
  const slot = h('div', { class: 'messages' });
  const c = serviceControls(svc, halls);
  const save = h('button', { type: 'submit', class: 'primary' }, '保存事项');
  const form = h('form', { class: 'card service-editor' }, h('h2', {}, svc.name), slot,
    field('名称', c.name), field('收费（元）', c.fee), field('承诺时限（工作日）', c.promised),
    field('法定时限（工作日）', c.statutory), field('可预约', c.bookable), field('状态', c.status), c.hallBox, c.mats,
    h('div', { class: 'actions' }, save));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const updated = await saveService(svc, c, slot, save);
    if (updated) await saved(updated);
  });
  return { form, first: c.name };
}
