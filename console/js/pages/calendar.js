// Working calendar: each year's holidays and where they come from; admins enter a year's official
// schedule from the State Council's notice, after a preview of what it changes.
import { myRoles } from '../api.js';
import { getStaffCalendar } from '../api/calendar.js';
import { h, clear, table, act, pageHeader, section, badge, fmtTime } from '../ui.js';
import { dayList, entryForm } from '../views/staff/calendar.js';

const SOURCE_BADGE = { package: 'green', entered: 'green', provisional: 'yellow' };

async function renderCalendar(main) {
  const msg = pageHeader(main, '工作日历',
    '办理时限按工作日计算，大厅按工作日开放。每年国务院办公厅公布下一年度放假安排后，请在此录入。');
  const body = h('div');
  main.append(body);
  const isAdmin = myRoles().has('admin');

  async function load() {
    const data = await act(msg, () => getStaffCalendar());
    if (!data) return;
    clear(body);
    if (data.warning) body.append(h('div', { class: 'alert warn', role: 'status', dataset: { calendarWarning: '' } }, data.warning));
    body.append(table([
      { label: '年度', render: (y) => `${y.year} 年` },
      { label: '来源', render: (y) => badge(y.source_label, SOURCE_BADGE[y.source]) },
      { label: '放假日', render: (y) => `${y.holidays.length} 天` },
      { label: '调休上班日', render: (y) => dayList(y.workdays) },
      { label: '录入', render: (y) => (y.entered_by ? `${y.entered_by}（${fmtTime(y.entered_at)}）` : '—') },
    ], data.years, { caption: '各年度放假安排', rowAttrs: (y) => ({ dataset: { year: String(y.year), source: y.source } }) }));
    for (const y of data.years) {
      const parts = [h('p', {}, `放假：${dayList(y.holidays)}`)];
      if (y.source === 'provisional') {
        parts.unshift(h('p', { class: 'sub' }, '尚未录入国务院通知：目前按《全国年节及纪念日放假办法》推算（不含调休），'
          + '涉及该年度的办理时限标注为“暂定”。'));
      }
      if (isAdmin && y.editable) parts.push(entryForm(y, load));
      body.append(section(`${y.year} 年 · ${y.source_label}`, ...parts));
    }
  }
  await load();
}

export default [
  { path: 'admin/calendar', title: '工作日历', group: '系统管理', roles: ['admin', 'supervisor'], render: renderCalendar },
];
