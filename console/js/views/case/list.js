// Cases in lists: status and traffic-light badges, the applicant as staff see them (masked), the
// cases table and finding cases by serial, name or ID number.
import { getStaffApplications } from '../../api/cases.js';
import { h, table, act, notice, badge, fmtTime, CASE_STATUS } from '../../ui.js';
import { searchBox } from '../worklist.js';
import { STATUS_LABELS } from '../../status-labels.js';

const LIGHT = { green: ['绿灯', 'green'], yellow: ['黄灯', 'yellow'], red: ['红灯', 'red'] };

export const CASE_OUTCOME = STATUS_LABELS.case_outcome;

/** A case's status; a refusal says which it was (不予受理 or 不予批准) when its outcome is given. */
export function statusBadge(status, outcome) {
  const kind = { approved: 'green', completed: 'green', rejected: 'red', correction_requested: 'yellow' }[status] || 'blue';
  const text = (status === 'rejected' && CASE_OUTCOME[outcome]) || CASE_STATUS[status] || status;
  return badge(text, kind);
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

/** Find cases by serial (办件编号), or by the applicant's full name or full ID number. */
export function caseLookup() {
  return searchBox({
    label: '查找办件', name: 'case-q', cls: 'case-lookup', hint: '姓名须为完整姓名，身份证号须为完整号码',
    search: async (text, go, slot) => {
      const data = await act(slot, () => getStaffApplications({ query: { q: text } }), go);
      if (!data) return null;
      if (!data.items.length) notice(slot, '未找到办件，请核对后重试', 'error');
      return data.items.length ? casesTable(data.items) : null;
    },
  });
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
