// 12345: the hotline triages (assign to a department, answer directly, merge a duplicate), the
// departments' staff reply, and supervisors read the figures per department.
import { getDepartments } from '../api/catalogue.js';
import { getStaffComplaints, getStaffComplaintsCounts, postStaffComplaintsByIdReply } from '../api/complaints.js';
import { getStaffComplaintsSummary } from '../api/supervision.js';
import { h, clear, field, select, button, table, act, notice, pageHeader, section } from '../ui.js';
import { summary, triageCard } from '../views/complaints/triage.js';
import { countsBar, labelledCounts, redrawKeepingTyped, searchBox } from '../views/worklist.js';

async function departments(msg) {
  const data = await act(msg, () => getDepartments());
  return (data && data.items) || [];
}

// Find one order by its serial, or the resident's name or ID number, and triage it there.
function triageLookup(depts, done) {
  return searchBox({
    label: '查找工单', name: 'complaint-q', cls: 'complaint-lookup', placeholder: '工单编号、姓名或身份证号',
    hint: '工单编号，或反映人的完整姓名、完整身份证号',
    search: async (text, go, slot) => {
      const data = await act(slot, () => getStaffComplaints({ query: { q: text } }), go);
      if (!data) return null;
      if (!data.items.length) notice(slot, '未找到工单，请核对后重试', 'error');
      return data.items.length ? h('div', { class: 'complaint-list' }, data.items.map((c) => triageCard(c, depts, done))) : null;
    },
  });
}

async function renderTriage(main) {
  const msg = pageHeader(main, '12345 工单分派',
    '新登记的工单须在 1 个工作日内分派到承办部门，最早收到的在前；能当场解答的直接答复；重复反映的合并到原工单，答复时一并告知。');
  const depts = await departments(msg);
  const statusSel = select([['received', '待分派'], ['assigned', '办理中'], ['replied', '已答复'], ['closed', '已办结']],
    { name: 'status' });
  const counts = h('div', { class: 'counts' });
  const list = h('div', { class: 'complaint-list' });
  const done = async (c, label, r) => {
    if (r) {
      await load();
      notice(msg, `${c.serial}：${label}`);
    }
  };
  main.append(triageLookup(depts, done), h('div', { class: 'card' }, counts, field('状态', statusSel), button('刷新', () => load())),
    section('工单', list));

  let latest = 0;
  async function load() {
    const mine = ++latest;  // a slower, older answer never replaces a newer one
    const n = await act(msg, () => getStaffComplaintsCounts());
    if (n && mine === latest) clear(counts, countsBar(labelledCounts(n.items, { received: '待分派', assigned: '办理中' })));
    const open = ['received', 'assigned'].includes(statusSel.value);
    const data = await act(msg, () => getStaffComplaints({ query: { status: statusSel.value, order: open ? 'oldest' : 'newest', limit: 200 } }));
    if (!data || mine !== latest) return;
    // a department chosen or an answer being typed survives a refresh
    redrawKeepingTyped(list, data.items.length ? data.items.map((c) => triageCard(c, depts, done))
      : h('p', { class: 'muted empty' }, '没有该状态的工单'));
  }
  statusSel.addEventListener('change', load);
  await load();
}

async function renderReply(main) {
  const msg = pageHeader(main, '12345 工单答复',
    '12345 热线分派给本部门的工单，最早分派的在前，须在 5 个工作日内答复群众；黄灯临近时限，红灯已超时限。');
  const depts = await departments(msg);
  const deptSel = select([['', '全部部门'], ...depts.map((d) => [d.id, d.name])], { name: 'department' });
  const list = h('div', { class: 'complaint-list' });
  const counts = h('div', { class: 'counts' });
  main.append(h('div', { class: 'card' }, counts, field('承办部门', deptSel), button('刷新', () => load())), section('待答复', list));

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

  let latest = 0;
  async function load() {
    const mine = ++latest;  // a slower, older answer never replaces a newer one
    const n = await act(msg, () => getStaffComplaintsCounts());
    if (n && mine === latest) clear(counts, countsBar(labelledCounts(n.items, { assigned: '各部门待答复' })));
    const data = await act(msg, () => getStaffComplaints({ query: { status: 'assigned', department_id: deptSel.value, order: 'oldest', limit: 200 } }));
    if (!data || mine !== latest) return;
    // a reply being typed survives a refresh
    redrawKeepingTyped(list, data.items.length ? data.items.map((c) => card(c))
      : h('p', { class: 'muted empty' }, '没有待答复的工单'));
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
