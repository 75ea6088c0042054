// Worklists: what waits for a role, counted (with the oldest's date) and listed oldest first, and the
// one search box each list has — by serial, the resident's full name or their full ID number.
import { h, clear, field, input, notice, fmtTime } from '../ui.js';

export const SEARCH_PLACEHOLDER = '办件编号、姓名或身份证号';

/** The figures a worklist lands on: one per waiting status, "待受理 3 件（最早 2026-12-01）". */
export function countsBar(rows, { unit = '件' } = {}) {
  return h('ul', { class: 'worklist-counts', 'aria-label': '待办数' }, rows.map((r) => h('li', {
    class: r.count ? 'waiting' : '', dataset: { status: r.status, count: String(r.count) },
  }, h('span', { class: 'label' }, r.label), ' ', h('strong', {}, String(r.count)), ` ${unit}`,
  r.count && r.oldest_at ? h('span', { class: 'muted' }, `（最早 ${fmtTime(r.oldest_at).slice(0, 10)}）`) : null)));
}

/** The counts endpoint's rows labelled from `labels` (status → words), in the labels' order. */
export function labelledCounts(items, labels) {
  const by = Object.fromEntries((items || []).map((x) => [x.status, x]));
  return Object.entries(labels).map(([status, label]) => ({ status, label, count: (by[status] || {}).count || 0,
    oldest_at: (by[status] || {}).oldest_at || null }));
}

/**
 * One search box. `search(text, button)` asks the server and resolves to the results element, or null
 * when it failed (its message already shown in the box's own slot). A new search first clears the
 * previous results, so a failed or empty search never leaves old ones beside its message.
 */
export function searchBox({ label, name, cls, hint, search, placeholder = SEARCH_PLACEHOLDER, minLength = 2 }) {
  const slot = h('div', { class: 'messages' });
  const q = input({ name, class: 'wide', autocomplete: 'off', maxlength: 40, placeholder, type: 'search' });
  const go = h('button', { type: 'submit' }, '查找');
  const results = h('div', { class: 'lookup-results' });
  const form = h('form', { class: `card search-box ${cls || ''}`, role: 'search' }, slot, field(label, q, hint), go, results);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = q.value.trim();
    clear(results);
    clear(slot);
    if (text.length < minLength) {
      notice(slot, `请输入${placeholder}`, 'error');
      q.focus();
      return;
    }
    const shown = await search(text, go, slot);
    if (shown) clear(results, shown);
  });
  return form;
}

/**
 * A list read page after page (加载更多), from one or several sources read together and merged:
 * `read(key, cursor)` resolves to a page `{items, next_cursor}` or null (failure already shown);
 * `render(items)` draws them; `order(items)` sorts the merged items (several sources).
 */
export function pagedList({ read, render, order = (items) => items }) {
  const list = h('div');
  const more = h('button', { type: 'button', class: 'load-more', hidden: true }, '加载更多');
  let cursors = {};
  let items = [];
  async function take(keys) {
    const pages = await Promise.all(keys.map((k) => read(k, cursors[k])));
    if (pages.some((p) => !p)) return;
    keys.forEach((k, i) => { cursors[k] = pages[i].next_cursor; });
    items = order(items.concat(...pages.map((p) => p.items)));
    clear(list, render(items));
    more.hidden = !Object.values(cursors).some(Boolean);
  }
  more.addEventListener('click', () => take(Object.keys(cursors).filter((k) => cursors[k])));
  /** Read `keys` afresh from their first pages. */
  async function load(keys) {
    cursors = {};
    items = [];
    clear(list);
    more.hidden = true;
    await take(keys);
  }
  return { el: h('div', { class: 'paged' }, list, more), load };
}

// Draw a list's cards again (`clear(list, content)`) keeping what is being typed or chosen in
// them: each card is known by its data-serial, each field by its name.
export function redrawKeepingTyped(list, content) {
  const typed = typedIn(list);
  clear(list, content);
  for (const card of list.querySelectorAll('article[data-serial]')) {
    const fields = typed.get(card.dataset.serial);
    if (!fields) continue;
    for (const f of card.querySelectorAll(FIELDS)) {
      if (fields.has(f.name)) f.value = fields.get(f.name);
    }
  }
}

const FIELDS = 'textarea[name], input[name], select[name]';

function typedIn(list) {
  return new Map([...list.querySelectorAll('article[data-serial]')].map((card) => [card.dataset.serial,
    new Map([...card.querySelectorAll(FIELDS)].filter((f) => f.value).map((f) => [f.name, f.value])),
  ]));
}
