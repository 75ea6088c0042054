// Working calendar: each year's holidays and where they come from; admins enter a year's official
// schedule from the State Council's notice, after a preview of what it changes.
import { currentSession } from '../api.js';
import { getStaffCalendar, postStaffCalendarByYearPreview, putStaffCalendarByYear } from '../api/calendar.js';
import {
  h, clear, field, input, button, table, act, notice, pageHeader, section, badge, fmtTime, confirmDialog,
} from '../ui.js';

const SOURCE_BADGE = { package: 'green', entered: 'green', provisional: 'yellow' };

function dates(text) {
  return text.split(/[,，、\s]+/).map((s) => s.trim()).filter(Boolean);
}

function dayList(days) {
  if (!days.length) return '无';
  return days.map((d) => (d.name ? `${d.label}${d.name}` : d.label)).join('、');
}

function entryForm(year, onSaved) {
  const holidays = h('textarea', { name: `holidays-${year.year}`, rows: 4, class: 'wide',
    placeholder: '2027-01-01, 2027-01-02, …' });
  const workdays = h('textarea', { name: `workdays-${year.year}`, rows: 2, class: 'wide', placeholder: '2027-02-14, …' });
  const noticeNo = input({ name: `notice-${year.year}`, class: 'wide', placeholder: '国办发明电〔2026〕×号' });
  if (year.source === 'entered') {
    holidays.value = year.holidays.map((d) => d.date).join(', ');
    workdays.value = year.workdays.map((d) => d.date).join(', ');
  }
  const slot = h('div', { class: 'messages', 'aria-live': 'polite' });
  const result = h('div', { class: 'preview' });
  const body = () => ({ holidays: dates(holidays.value), workdays: dates(workdays.value),
    notice: noticeNo.value.trim() });
  const previewBtn = button('预览影响', async () => {
    const p = await act(slot, () => postStaffCalendarByYearPreview(year.year, { body: body() }), previewBtn);
    if (!p) return;
    clear(result,
      h('p', {}, p.summary),
      h('p', {}, `改为放假：${dayList(p.closed_days)}`),
      h('p', {}, `改为上班：${dayList(p.opened_days)}`));
    saveBtn.disabled = false;
  });
  const saveBtn = button('保存', async () => {
    const p = await act(slot, () => postStaffCalendarByYearPreview(year.year, { body: body() }), saveBtn);
    if (!p) return;
    const ok = await confirmDialog(`录入 ${year.year} 年放假安排`, [p.summary,
      '保存后立即生效：改为放假的日子不再开放预约，已有预约由中心取消并通知群众；按暂定日历计算的办理时限将重新计算并告知。'],
    { okLabel: '确认录入' });
    if (!ok) return;
    const saved = await act(slot, () => putStaffCalendarByYear(year.year, { body: body() }), saveBtn);
    if (saved) {
      notice(slot, `${year.year} 年放假安排已录入。`);
      onSaved();
    }
  }, { class: 'primary', disabled: true });
  return h('form', { class: 'calendar-entry', dataset: { year: String(year.year) }, onsubmit: (e) => e.preventDefault() },
    slot,
    field('放假日（以国务院办公厅通知为准，含周末中的放假日）', holidays, '每个日期写成 YYYY-MM-DD，用逗号或换行分隔'),
    field('调休上班日（周六、周日）', workdays),
    field('通知文号', noticeNo),
    h('div', { class: 'actions' }, previewBtn, saveBtn),
    result);
}

async function renderCalendar(main) {
  const msg = pageHeader(main, '工作日历',
    '办理时限按工作日计算，大厅按工作日开放。每年国务院办公厅公布下一年度放假安排后，请在此录入。');
  const body = h('div');
  main.append(body);
  const s = currentSession();
  const isAdmin = Boolean(s && s.staff && (s.staff.roles || []).includes('admin'));

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
