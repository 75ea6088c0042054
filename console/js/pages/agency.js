// 帮办代办 at the window: find the resident (their 办事码 when they are here, or their ID number,
// a case serial or their name when they granted this clerk), see their active grants to this clerk,
// and file a case for them. Every look-up and every case filed this way is in the audit log.
import { getStaffAgencyResidents, postStaffAgencyIdentify } from '../api/authorizations.js';
import { getServices } from '../api/catalogue.js';
import { h, clear, field, input, act, pageHeader, section } from '../ui.js';
import { residentCard } from '../views/agency/filing.js';

function findForms() {
  const code = input({ name: 'identity_code', autocomplete: 'off', spellcheck: 'false' });
  const codeForm = h('form', { class: 'card scan' }, field('居民办事码', code, '扫码枪扫描居民手机上的办事码，或手工输入后回车'),
    h('button', { type: 'submit', class: 'primary' }, '核验办事码'));
  const q = input({ name: 'q', autocomplete: 'off' });
  const findForm = h('form', { class: 'card' }, field('查找居民', q, '身份证号、办件编号（ZJB 开头）或姓名'),
    h('button', { type: 'submit' }, '查找'));
  return { code, codeForm, q, findForm };
}

function onIdentityCode({ code, codeForm }, results, ctx) {
  codeForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = code.value.trim();
    if (!value) return;
    const r = await act(ctx.msg, () => postStaffAgencyIdentify({ body: { identity_code: value } }),
      codeForm.querySelector('button[type=submit]'));
    code.value = '';
    clear(ctx.filing);
    if (r) clear(results, residentCard(r, value, ctx));
  });
}

function onFind({ q, findForm }, results, ctx) {
  findForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = q.value.trim();
    if (value.length < 2) return;
    const data = await act(ctx.msg, () => getStaffAgencyResidents({ query: { q: value } }),
      findForm.querySelector('button[type=submit]'));
    clear(ctx.filing);
    if (data) {
      clear(results, data.items.length ? data.items.map((r) => residentCard(r, null, ctx))
        : h('p', { class: 'muted empty' }, '没有找到该居民'));
    }
  });
}

async function renderAgency(main) {
  const msg = pageHeader(main, '帮办代办',
    '居民在场时扫描其办事码；居民授权您代办的，可按身份证号、办件编号或姓名查找，凭授权代为提交。查找与代办均记入审计日志。');
  const services = ((await act(msg, () => getServices())) || { items: [] }).items;
  const forms = findForms();
  const results = h('div', { class: 'agency-results', 'aria-live': 'polite' });
  const filing = h('div', { class: 'agency-filing' });
  main.append(h('div', { class: 'cols-2' }, forms.codeForm, forms.findForm), section('居民', results), filing);
  const ctx = { services, filing, msg };
  onIdentityCode(forms, results, ctx);
  onFind(forms, results, ctx);
  forms.code.focus();
}

export default [
  { path: 'clerk/agency', title: '帮办代办', group: '窗口受理', roles: ['clerk'], render: renderAgency },
];
