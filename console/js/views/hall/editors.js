// Editable tables the hall pages share: weekly periods, windows, a service's materials.
import { h, input, select, button, WEEKDAYS } from '../../ui.js';

/** Editable weekly periods: [{weekday, start, end}] */
export function periodsEditor(periods, label = '开放时间') {
  const body = h('tbody');
  const addRow = (p = { weekday: 1, start: '09:00', end: '17:00' }) => {
    const tr = h('tr', { class: 'period' },
      h('td', {}, select(WEEKDAYS.slice(1).map((w, i) => [i + 1, w]), { value: p.weekday, 'aria-label': '星期', class: 'weekday' })),
      h('td', {}, input({ type: 'time', value: p.start, 'aria-label': '开始', class: 'start' })),
      h('td', {}, input({ type: 'time', value: p.end, 'aria-label': '结束', class: 'end' })),
      h('td', {}, button('删除', () => tr.remove(), { 'aria-label': '删除此时段' })));
    body.append(tr);
  };
  periods.forEach(addRow);
  const el = h('div', { class: 'periods' },
    h('table', { class: 'grid' }, h('caption', {}, label),
      h('thead', {}, h('tr', {}, h('th', {}, '星期'), h('th', {}, '开始'), h('th', {}, '结束'), h('th', {}, '操作'))), body),
    button('添加时段', () => addRow()));
  el.value = () => [...body.querySelectorAll('tr.period')].map((tr) => ({
    weekday: Number(tr.querySelector('.weekday').value),
    start: tr.querySelector('.start').value,
    end: tr.querySelector('.end').value,
  }));
  return el;
}

export function windowsEditor(windows, services) {
  const body = h('tbody');
  const addRow = (w = { number: '', name: '', area_prefix: 'A', service_ids: [] }) => {
    const svc = h('select', { multiple: true, size: 3, class: 'services', 'aria-label': '可办事项' },
      services.map((s) => h('option', { value: s.id, selected: (w.service_ids || []).includes(s.id) }, s.name)));
    const tr = h('tr', { class: 'window', dataset: { id: w.id || '' } },
      h('td', {}, input({ value: w.number, class: 'number narrow', 'aria-label': '窗口号' })),
      h('td', {}, input({ value: w.name, class: 'name', 'aria-label': '窗口名称' })),
      h('td', {}, input({ value: w.area_prefix, class: 'prefix narrow', 'aria-label': '排队号前缀', maxlength: 1 })),
      h('td', {}, svc),
      h('td', {}, button('删除', () => tr.remove(), { 'aria-label': `删除窗口 ${w.number || ''}`.trim() })));
    body.append(tr);
    return tr;
  };
  windows.forEach((w) => addRow(w));
  const add = button('添加窗口', () => {
    const tr = addRow();
    tr.querySelector('.number').focus();
  });
  const el = h('div', {},
    h('table', { class: 'grid windows' }, h('caption', {}, '窗口'),
      h('thead', {}, h('tr', {}, ['窗口号', '名称', '排队号前缀', '可办事项（可多选）', '操作'].map((t) => h('th', {}, t)))), body),
    add);
  el.value = () => [...body.querySelectorAll('tr.window')].map((tr) => {
    const w = {
      number: tr.querySelector('.number').value.trim(),
      name: tr.querySelector('.name').value.trim(),
      area_prefix: tr.querySelector('.prefix').value.trim().toUpperCase(),
      service_ids: [...tr.querySelector('.services').selectedOptions].map((o) => o.value),
    };
    if (tr.dataset.id) w.id = tr.dataset.id;
    return w;
  });
  return el;
}

export function materialsEditor(materials) {
  const body = h('tbody');
  const addRow = (m = { key: '', name: '', required: true, tolerable: false }) => {
    const tr = h('tr', { class: 'material' },
      h('td', {}, input({ value: m.key, class: 'key', 'aria-label': '材料编码' })),
      h('td', {}, input({ value: m.name, class: 'name wide', 'aria-label': '材料名称' })),
      h('td', {}, h('input', { type: 'checkbox', class: 'required', checked: m.required, 'aria-label': '必须提交' })),
      h('td', {}, h('input', { type: 'checkbox', class: 'tolerable', checked: m.tolerable, 'aria-label': '可容缺' })),
      h('td', {}, button('删除', () => tr.remove())));
    body.append(tr);
  };
  materials.forEach(addRow);
  const el = h('div', {}, h('table', { class: 'grid' }, h('caption', {}, '申请材料'),
    h('thead', {}, h('tr', {}, ['编码', '名称', '必须', '可容缺', '操作'].map((t) => h('th', {}, t)))), body),
  button('添加材料', () => addRow()));
  el.value = () => [...body.querySelectorAll('tr.material')].map((tr) => ({
    key: tr.querySelector('.key').value.trim(),
    name: tr.querySelector('.name').value.trim(),
    required: tr.querySelector('.required').checked,
    tolerable: tr.querySelector('.tolerable').checked,
  }));
  return el;
}
