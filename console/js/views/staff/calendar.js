// The working calendar's entry of a year's official schedule: the dates, a preview of what they
// change, and saving it after a confirmation.
import { postStaffCalendarByYearPreview, putStaffCalendarByYear } from '../../api/calendar.js';
import { h, clear, field, input, button, act, notice, confirmDialog } from '../../ui.js';

function dates(text) {
  return text.split(/[,，、\s]+/).map((s) => s.trim()).filter(Boolean);
}

export function dayList(days) {
  if (!days.length) return '无';
  return days.map((d) => (d.name ? `${d.label}${d.name}` : d.label)).join('、');
}

/** 预览影响: what the entered year would change, shown in `result`; `then()` runs after a preview. */
function previewButton(year, body, slot, result, then) {
  const previewBtn = button('预览影响', async () => {
    const p = await act(slot, () => postStaffCalendarByYearPreview(year.year, { body: body() }), previewBtn);
    if (!p) return;
    clear(result,
      h('p', {}, p.summary),
      h('p', {}, `改为放假：${dayList(p.closed_days)}`),
      h('p', {}, `改为上班：${dayList(p.opened_days)}`));
    then();
  });
  return previewBtn;
}

/** 保存: confirmed against a fresh preview; enabled once a preview was seen. */
function saveButton(year, body, slot, onSaved) {
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
  return saveBtn;
}

export function entryForm(year, onSaved) {
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
  const saveBtn = saveButton(year, body, slot, onSaved);
  const previewBtn = previewButton(year, body, slot, result, () => { saveBtn.disabled = false; });
  return h('form', { class: 'calendar-entry', dataset: { year: String(year.year) }, onsubmit: (e) => e.preventDefault() },
    slot,
    field('放假日（以国务院办公厅通知为准，含周末中的放假日）', holidays, '每个日期写成 YYYY-MM-DD，用逗号或换行分隔'),
    field('调休上班日（周六、周日）', workdays),
    field('通知文号', noticeNo),
    h('div', { class: 'actions' }, previewBtn, saveBtn),
    result);
}
