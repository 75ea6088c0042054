// 帮办代办 at the window: the resident found (how they are here: 办事码 or a grant to this clerk)
// and the form that files a case for them.
import { getStaffAgencyAuthorizationsByIdLicences } from '../../api/authorizations.js';
import { postStaffApplications } from '../../api/cases.js';
import { h, clear, field, input, select, button, act, notice, section, badge, fmtTime } from '../../ui.js';

function grantText(g) {
  const what = g.services && g.services.length ? g.services.map((s) => s.name).join('、') : '全部事项';
  return `代办：${what}（至 ${fmtTime(g.expires_at)}）`;
}

function grantRow(g, services, open) {
  return h('div', { class: 'row grant', dataset: { grant: g.id } },
    badge('授权有效', 'blue'), h('span', {}, `${grantText(g)} `),
    button('凭此授权办理', () => {
      const allowed = g.services && g.services.length
        ? services.filter((s) => g.services.some((x) => x.id === s.id)) : services;
      open({ authorization_id: g.id }, allowed);
    }, { class: 'primary' }));
}

/** A found resident and the ways this clerk may file for them; `via` is their 办事码 when they are here.
 * `ctx` = {services, filing (the form's slot), msg (the page's messages)}. */
export function residentCard(r, via, ctx) {
  const open = (how, allowed) => openFiling(r, { ...how, resident_id: r.id }, allowed, ctx);
  const rows = [];
  if (via) {
    rows.push(h('div', { class: 'row grant', dataset: { via: 'identity_code' } },
      badge('本人到场', 'green'), h('span', {}, '办事码有效约一分钟，请尽快办理 '),
      button('为其办理', () => open({ identity_code: via }, ctx.services), { class: 'primary' })));
  }
  for (const g of r.grants) rows.push(grantRow(g, ctx.services, open));
  if (!rows.length) rows.push(h('p', { class: 'muted' }, '该居民没有给您的有效授权；请居民出示办事码，或在小程序中授权后再办理。'));
  return h('article', { class: 'card resident', dataset: { resident: r.id } },
    h('div', {}, h('strong', {}, r.name_masked || '未实名'), ` ${r.id_number_masked || ''}`), ...rows);
}

function materialRow(m, held) {
  const lic = m.licence_type ? held.find((l) => l.type === m.licence_type && l.status === 'valid') : null;
  return h('div', { class: 'material' },
    h('label', {}, h('input', { type: 'checkbox', name: 'received', value: m.key }), ' ', m.name,
      m.required ? '' : '（非必须）'),
    lic ? h('label', { class: 'licence' }, h('input', { type: 'checkbox', name: 'licence', value: `${m.key}:${lic.id}` }),
      ` 使用授权人的电子证照：${lic.name}（${lic.number}）`) : null);
}

/** The materials checklist, refilled for the service chosen in `svc`. */
function materialsFieldset(svc, allowed, held) {
  const mats = h('fieldset', {}, h('legend', {}, '已收材料'));
  const fillMats = () => {
    const s = allowed.find((x) => x.id === svc.value);
    clear(mats, h('legend', {}, '已收材料'), ...((s && s.guide.materials) || []).map((m) => materialRow(m, held)));
  };
  svc.addEventListener('change', fillMats);
  fillMats();
  return mats;
}

function filingBody(svc, mats, note, phone, how) {
  const materials = [...mats.querySelectorAll('input[name=received]:checked')].map((i) => i.value);
  const licences = [...mats.querySelectorAll('input[name=licence]:checked')].map((i) => {
    const [materialKey, licenceId] = i.value.split(':');
    return { material_key: materialKey, licence_id: licenceId };
  });
  return { service_id: svc.value, materials, form: { 申请说明: note.value.trim(), 联系电话: phone.value.trim() },
    ...(licences.length ? { licences } : {}), ...how };
}

async function openFiling(r, how, allowed, { filing, msg }) {
  const slot = h('div', { class: 'messages' });
  const svc = select(allowed.map((s) => [s.id, `${s.name}（${s.department_name}）`]), { name: 'service' });
  // Under a grant, the grantor's valid e-licences can be given instead of paper.
  let held = [];
  if (how.authorization_id) {
    const got = await act(slot, () => getStaffAgencyAuthorizationsByIdLicences(how.authorization_id));
    held = (got && got.items) || [];
  }
  const mats = materialsFieldset(svc, allowed, held);
  const note = h('textarea', { name: 'note', rows: 2, class: 'wide' });
  const phone = input({ name: 'phone', inputmode: 'tel' });
  const submit = h('button', { type: 'submit', class: 'primary' }, '代为提交');
  const form = h('form', { class: 'agency-form' }, slot, field('事项', svc), mats, field('申请说明', note),
    field('联系电话', phone), submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = filingBody(svc, mats, note, phone, how);
    const made = await act(slot, () => postStaffApplications({ body }), submit);
    if (made) {
      clear(filing);
      notice(msg, `已为 ${r.name_masked} 提交办件 ${made.serial}（${made.service_name}）`);
    }
  });
  clear(filing, section(`为 ${r.name_masked} 代为办理`, form));
  svc.focus();
}
