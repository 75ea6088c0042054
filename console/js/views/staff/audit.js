// The audit log: its entries in words (actions, outcomes, targets and detail fields from
// backend/audit/labels.py), the search form and the results table.
import { getHalls, getServices } from '../../api/catalogue.js';
import { h, field, input, select, table, badge, fmtTime, fen, ROLE_NAMES, CASE_STATUS } from '../../ui.js';
import { AUDIT_LABELS } from '../../audit-labels.js';

// The audit log in words: actions, outcomes, targets and detail fields from backend/audit/labels.py.
const WORDS = AUDIT_LABELS;

function actionLabel(code) {
  return WORDS.actions[code] || code;
}

function describeActor(a) {
  if (!a) return '—';
  if (a.type === 'staff') return a.username || '工作人员';
  if (a.type === 'resident') return '群众（本人）';
  if (a.type === 'system') {
    const id = a.id || '';
    const name = WORDS.system_actors[id] || id.split('-').map((p) => WORDS.system_actors[p] || p).join(' · ');
    return `系统：${name}`;
  }
  return a.username || '—';
}

/** Names of halls and services the details refer to by id (the public catalogue lists). */
export async function catalogueNames() {
  const names = { hall: new Map(), service: new Map() };
  const [halls, services] = await Promise.all([
    getHalls().catch(() => ({ items: [] })), getServices().catch(() => ({ items: [] }))]);
  halls.items.forEach((x) => names.hall.set(x.id, x.name));
  services.items.forEach((x) => names.service.set(x.id, x.name));
  return names;
}

/** One detail value in words, by the field it belongs to. */
function detailValue(key, value, names) {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) {
    return value.length ? value.map((v) => detailValue(key, v, names)).join('、') : '—';
  }
  if (typeof value === 'object') {
    return Object.entries(value).map(([k, v]) => `${WORDS.fields[k] || k}：${detailValue(k, v, names)}`).join('；');
  }
  if (typeof value === 'boolean') return value ? '是' : '否';
  const coded = WORDS.values[key];
  if (coded && coded[value]) return coded[value];
  switch (key) {
    case 'amount_fen': return fen(value);
    case 'from': return CASE_STATUS[value] || value;
    case 'roles': return ROLE_NAMES[value] || value;
    case 'fields': return WORDS.fields[value] || value;
    case 'handling': {  // "case:<serial>": what ties the staff member to the resident
      const [kind, ...ref] = String(value).split(':');
      return `${WORDS.targets[kind] || kind} ${ref.join(':')}`.trim();
    }
    case 'hall_id': case 'hall_ids': return names.hall.get(value) || value;
    case 'service_id': case 'services': return value === '*' ? '全部事项' : (names.service.get(value) || value);
    default: return String(value);
  }
}

/** An entry's details as labelled fields. */
function detailsList(details, names) {
  const entries = Object.entries(details || {});
  if (!entries.length) return '—';
  return h('dl', { class: 'props details' }, entries.map(([k, v]) => [
    h('dt', {}, WORDS.fields[k] || k), h('dd', {}, detailValue(k, v, names))]));
}

// Links to the page of an object the console has one for.
const TARGET_PAGES = { application: (id) => `#/case/${id}` };

/** The object an entry is about, by what people call it (a serial, a number, a name); its id only
 * when it has no name (an object gone since), small and muted. */
function targetCell(t) {
  if (!t || !t.type) return '—';
  const kind = WORDS.targets[t.type] || t.type;
  if (!t.name) return h('span', {}, kind, t.id ? h('small', { class: 'muted target-id' }, ` ${t.id}`) : null);
  const page = TARGET_PAGES[t.type];
  return h('span', { class: 'target' }, `${kind} `,
    page ? h('a', { href: page(t.id), class: 'target-name' }, t.name) : h('strong', { class: 'target-name' }, t.name));
}

function outcomeBadge(outcome) {
  const o = outcome || 'ok';
  return badge(WORDS.outcomes[o] || o, o === 'ok' ? 'green' : 'red');
}

/** The search form's controls and the form; `query(cursor)` builds the request's query from them. */
export function auditSearch() {
  const q = input({ name: 'q', type: 'search', placeholder: '用户名、对象编号等' });
  const action = select([['', '全部操作'], ...Object.entries(WORDS.actions)], { name: 'action' });
  const actor = input({ name: 'actor_id', placeholder: '操作人编号' });
  const targetType = select([['', '全部对象'], ...Object.entries(WORDS.targets)], { name: 'target_type' });
  const targetId = input({ name: 'target_id', placeholder: '对象编号' });
  const form = h('form', { class: 'card', role: 'search' },
    field('关键字', q), field('操作', action), field('操作人编号', actor), field('对象类型', targetType),
    field('对象编号', targetId), h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, '检索')));
  const query = (cursor) => ({
    q: q.value.trim(), action: action.value, actor_id: actor.value.trim(), target_type: targetType.value,
    target_id: targetId.value.trim(), limit: 50, cursor,
  });
  return { form, query };
}

export function auditTable(rows, names) {
  return table([
    { label: '时间', render: (e) => h('span', { class: 'nowrap' }, fmtTime(e.at)) },
    { label: '操作人', render: (e) => describeActor(e.actor) },
    { label: '操作', render: (e) => h('span', { class: 'action' }, actionLabel(e.action)) },
    { label: '对象', render: (e) => targetCell(e.target) },
    { label: '结果', render: (e) => outcomeBadge(e.outcome) },
    { label: '详情', render: (e) => detailsList(e.details, names) },
    { label: 'IP 地址', render: (e) => e.ip || '—' },
  ], rows, { empty: '没有符合条件的记录', rowAttrs: (e) => ({ dataset: { action: e.action, outcome: e.outcome || 'ok' } }) });
}
