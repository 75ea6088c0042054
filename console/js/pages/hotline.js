// 12345: the hotline triages (assign to a department, answer directly, merge a duplicate), the
// departments' staff reply, and supervisors read the figures per department.
import { getDepartments } from '../api/catalogue.js';
import {
  getStaffComplaints, postStaffComplaintsByIdAssign, postStaffComplaintsByIdMerge, postStaffComplaintsByIdReply,
} from '../api/complaints.js';
import { getStaffComplaintsSummary } from '../api/supervision.js';
import {
  h, clear, field, input, select, button, table, act, notice, pageHeader, section, badge, fmtTime,
} from '../ui.js';
import { STATUS_LABELS } from '../status-labels.js';

const COMPLAINT_STATUS = STATUS_LABELS.complaint;
const LIGHT = { green: ['绿灯', 'green'], yellow: ['黄灯', 'yellow'], red: ['红灯', 'red'] };

function lightBadge(c) {
  if (!c.light) return null;
  const [text, kind] = LIGHT[c.light];
  return badge(text, kind);
}

function summary(c) {
  return h('div', {},
    h('div', { class: 'row' },
      h('strong', {}, `${c.category_name} · ${c.serial}`), ' ',
      badge(COMPLAINT_STATUS[c.status] || c.status, c.status === 'received' ? 'blue' : ''), lightBadge(c)),
    h('p', { class: 'complaint-content' }, c.content),
    h('p', { class: 'muted' },
      `登记 ${fmtTime(c.created_at)}`,
      c.due ? `　${c.stage === 'assign' ? '分派' : '答复'}时限 ${fmtTime(c.due)}` : '',
      c.location ? `　地点：${c.location}` : '',
      c.contact_ok ? '　群众同意联系' : '　群众不愿被联系',
      c.department_name ? `　承办：${c.department_name}` : '',
      c.reopened ? '　（群众不满意，已退回重办）' : ''),
    c.reply ? h('p', { class: 'muted' }, `答复（${c.reply.by}，${fmtTime(c.reply.at)}）：${c.reply.text}`) : null);
}

async function departments(msg) {
  const data = await act(msg, () => getDepartments());
  return (data && data.items) || [];
}

async function renderTriage(main) {
  const msg = pageHeader(main, '12345 工单分派',
    '新登记的工单须在 1 个工作日内分派到承办部门；能当场解答的直接答复；重复反映的合并到原工单，答复时一并告知。');
  const depts = await departments(msg);
  const statusSel = select([['received', '待分派'], ['assigned', '办理中'], ['replied', '已答复'], ['closed', '已办结']],
    { name: 'status' });
  const list = h('div', { class: 'complaint-list' });
  main.append(h('div', { class: 'card' }, field('状态', statusSel), button('刷新', () => load())), section('工单', list));

  function card(c) {
    const slot = h('div', { class: 'messages' });
    const box = h('article', { class: 'card complaint', dataset: { serial: c.serial } }, summary(c), slot);
    const done = async (label, r) => {
      if (r) {
        await load();
        notice(msg, `${c.serial}：${label}`);
      }
    };
    if (c.status === 'received' || c.status === 'assigned') {
      const dep = select([['', '请选择承办部门'], ...depts.map((d) => [d.id, d.name])], { name: 'department' });
      const assign = button(c.status === 'received' ? '分派' : '改派', async (e) => {
        if (!dep.value) {
          notice(slot, '请先选择承办部门', 'error');
          return;
        }
        await done(`已分派到${dep.selectedOptions[0].textContent}`, await act(slot,
          () => postStaffComplaintsByIdAssign(c.id, { body: { department_id: dep.value } }), e.target));
      }, { class: 'primary' });
      box.append(h('div', { class: 'actions' }, field('承办部门', dep), assign));
    }
    if (c.status === 'received') {
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
      box.append(h('div', { class: 'actions' }, field('直接答复内容', answer), reply),
        h('div', { class: 'actions' }, field('重复反映，合并到', into), merge));
    }
    return box;
  }

  async function load() {
    const data = await act(msg, () => getStaffComplaints({ query: { status: statusSel.value } }));
    if (data) clear(list, data.items.length ? data.items.map(card) : h('p', { class: 'muted empty' }, '没有该状态的工单'));
  }
  statusSel.addEventListener('change', load);
  await load();
}

async function renderReply(main) {
  const msg = pageHeader(main, '12345 工单答复',
    '12345 热线分派给本部门的工单，须在 5 个工作日内答复群众；黄灯临近时限，红灯已超时限。');
  const depts = await departments(msg);
  const deptSel = select([['', '全部部门'], ...depts.map((d) => [d.id, d.name])], { name: 'department' });
  const list = h('div', { class: 'complaint-list' });
  main.append(h('div', { class: 'card' }, field('承办部门', deptSel), button('刷新', () => load())), section('待答复', list));

  function card(c) {
    const slot = h('div', { class: 'messages' });
    const text = h('textarea', { name: 'reply', rows: 3, class: 'wide' });
    const send = button('答复群众', async (e) => {
      const r = await act(slot, () => postStaffComplaintsByIdReply(c.id, { body: { reply: text.value.trim() } }), e.target);
      if (r) {
        await load();
        notice(msg, `${c.serial}：已答复${r.on_time ? '' : '（已超时限）'}`);
      }
    }, { class: 'primary' });
    return h('article', { class: 'card complaint', dataset: { serial: c.serial } }, summary(c), slot,
      h('div', { class: 'actions' }, field('答复内容', text), send));
  }

  async function load() {
    const data = await act(msg, () => getStaffComplaints({ query: { status: 'assigned', department_id: deptSel.value } }));
    if (data) clear(list, data.items.length ? data.items.map(card) : h('p', { class: 'muted empty' }, '没有待答复的工单'));
  }
  deptSel.addEventListener('change', load);
  await load();
}

function rate(v) {
  return v === null || v === undefined ? '—' : `${Math.round(v * 1000) / 10}%`;
}

async function renderFigures(main) {
  const msg = pageHeader(main, '12345 考核', '各承办部门受理的工单量、按时答复率和群众满意率。');
  const data = await act(msg, () => getStaffComplaintsSummary());
  if (!data) return;
  main.append(section('各部门', table([
    { label: '部门', render: (r) => r.department_name },
    { label: '受理', render: (r) => String(r.received) },
    { label: '在办', render: (r) => String(r.open) },
    { label: '已答复', render: (r) => String(r.replied) },
    { label: '按时答复率', render: (r) => rate(r.on_time_rate) },
    { label: '评价数', render: (r) => String(r.feedback) },
    { label: '满意率', render: (r) => rate(r.satisfaction) },
  ], data.items, { empty: '暂无工单', rowAttrs: (r) => ({ dataset: { department: r.department_name } }) })));
}

export default [
  { path: 'hotline/triage', title: '12345 工单分派', group: '12345 热线', roles: ['hotline'], render: renderTriage },
  { path: 'hotline/reply', title: '12345 工单答复', group: '12345 热线', roles: ['clerk', 'approver'], render: renderReply },
  { path: 'hotline/figures', title: '12345 考核', group: '监察', roles: ['supervisor'], render: renderFigures },
];
