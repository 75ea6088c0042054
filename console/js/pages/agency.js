// 帮办代办 at the window: find the resident (their 办事码 when they are here, or their ID number,
// a case serial or their name when they granted this clerk), see their active grants to this clerk,
// and file a case for them. Every look-up and every case filed this way is in the audit log.
import {
  getStaffAgencyAuthorizationsByIdLicences, getStaffAgencyResidents, postStaffAgencyIdentify,
} from '../api/authorizations.js';
import { postStaffApplications } from '../api/cases.js';
import { getServices } from '../api/catalogue.js';
import {
  h, clear, field, input, select, button, act, notice, pageHeader, section, badge, fmtTime,
} from '../ui.js';

function grantText(g) {
  const what = g.services && g.services.length ? g.services.map((s) => s.name).join('、') : '全部事项';
  return `代办：${what}（至 ${fmtTime(g.expires_at)}）`;
}

async function renderAgency(main) {
  const msg = pageHeader(main, '帮办代办',
    '居民在场时扫描其办事码；居民授权您代办的，可按身份证号、办件编号或姓名查找，凭授权代为提交。查找与代办均记入审计日志。');
  const services = ((await act(msg, () => getServices())) || { items: [] }).items;

  // -- finding the resident --
  const code = input({ name: 'identity_code', autocomplete: 'off', spellcheck: 'false' });
  const codeForm = h('form', { class: 'card scan' }, field('居民办事码', code, '扫码枪扫描居民手机上的办事码，或手工输入后回车'),
    h('button', { type: 'submit', class: 'primary' }, '核验办事码'));
  const q = input({ name: 'q', autocomplete: 'off' });
  const findForm = h('form', { class: 'card' }, field('查找居民', q, '身份证号、办件编号（ZJB 开头）或姓名'),
    h('button', { type: 'submit' }, '查找'));
  const results = h('div', { class: 'agency-results', 'aria-live': 'polite' });
  const filing = h('div', { class: 'agency-filing' });
  main.append(h('div', { class: 'cols-2' }, codeForm, findForm), section('居民', results), filing);

  function residentCard(r, via) {
    const rows = [];
    if (via) {
      rows.push(h('div', { class: 'row grant', dataset: { via: 'identity_code' } },
        badge('本人到场', 'green'), h('span', {}, '办事码有效约一分钟，请尽快办理 '),
        button('为其办理', () => openFiling(r, { identity_code: via, resident_id: r.id }, services), { class: 'primary' })));
    }
    for (const g of r.grants) {
      rows.push(h('div', { class: 'row grant', dataset: { grant: g.id } },
        badge('授权有效', 'blue'), h('span', {}, `${grantText(g)} `),
        button('凭此授权办理', () => {
          const allowed = g.services && g.services.length
            ? services.filter((s) => g.services.some((x) => x.id === s.id)) : services;
          openFiling(r, { authorization_id: g.id, resident_id: r.id }, allowed);
        }, { class: 'primary' })));
    }
    if (!rows.length) rows.push(h('p', { class: 'muted' }, '该居民没有给您的有效授权；请居民出示办事码，或在小程序中授权后再办理。'));
    return h('article', { class: 'card resident', dataset: { resident: r.id } },
      h('div', {}, h('strong', {}, r.name_masked || '未实名'), ` ${r.id_number_masked || ''}`), ...rows);
  }

  async function openFiling(r, how, allowed) {
    const slot = h('div', { class: 'messages' });
    const svc = select(allowed.map((s) => [s.id, `${s.name}（${s.department_name}）`]), { name: 'service' });
    const mats = h('fieldset', {}, h('legend', {}, '已收材料'));
    // Under a grant, the grantor's valid e-licences can be given instead of paper.
    let held = [];
    if (how.authorization_id) {
      const got = await act(slot, () => getStaffAgencyAuthorizationsByIdLicences(how.authorization_id));
      held = (got && got.items) || [];
    }
    const fillMats = () => {
      const s = allowed.find((x) => x.id === svc.value);
      clear(mats, h('legend', {}, '已收材料'), ...((s && s.guide.materials) || []).map((m) => {
        const lic = m.licence_type ? held.find((l) => l.type === m.licence_type && l.status === 'valid') : null;
        return h('div', { class: 'material' },
          h('label', {}, h('input', { type: 'checkbox', name: 'received', value: m.key }), ' ', m.name,
            m.required ? '' : '（非必须）'),
          lic ? h('label', { class: 'licence' }, h('input', { type: 'checkbox', name: 'licence', value: `${m.key}:${lic.id}` }),
            ` 使用授权人的电子证照：${lic.name}（${lic.number}）`) : null);
      }));
    };
    svc.addEventListener('change', fillMats);
    fillMats();
    const note = h('textarea', { name: 'note', rows: 2, class: 'wide' });
    const phone = input({ name: 'phone', inputmode: 'tel' });
    const submit = h('button', { type: 'submit', class: 'primary' }, '代为提交');
    const form = h('form', { class: 'agency-form' }, slot, field('事项', svc), mats, field('申请说明', note),
      field('联系电话', phone), submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const materials = [...mats.querySelectorAll('input[name=received]:checked')].map((i) => i.value);
      const licences = [...mats.querySelectorAll('input[name=licence]:checked')].map((i) => {
        const [materialKey, licenceId] = i.value.split(':');
        return { material_key: materialKey, licence_id: licenceId };
      });
      const body = { service_id: svc.value, materials, form: { 申请说明: note.value.trim(), 联系电话: phone.value.trim() },
        ...(licences.length ? { licences } : {}), ...how };
      const made = await act(slot, () => postStaffApplications({ body }), submit);
      if (made) {
        clear(filing);
        notice(msg, `已为 ${r.name_masked} 提交办件 ${made.serial}（${made.service_name}）`);
      }
    });
    clear(filing, section(`为 ${r.name_masked} 代为办理`, form));
    svc.focus();
  }

  codeForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = code.value.trim();
    if (!value) return;
    const r = await act(msg, () => postStaffAgencyIdentify({ body: { identity_code: value } }),
      codeForm.querySelector('button[type=submit]'));
    code.value = '';
    clear(filing);
    if (r) clear(results, residentCard(r, value));
  });
  findForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = q.value.trim();
    if (value.length < 2) return;
    const data = await act(msg, () => getStaffAgencyResidents({ query: { q: value } }),
      findForm.querySelector('button[type=submit]'));
    clear(filing);
    if (data) clear(results, data.items.length ? data.items.map((r) => residentCard(r, null)) : h('p', { class: 'muted empty' }, '没有找到该居民'));
  });
  code.focus();
}

export default [
  { path: 'clerk/agency', title: '帮办代办', group: '窗口受理', roles: ['clerk'], render: renderAgency },
];
