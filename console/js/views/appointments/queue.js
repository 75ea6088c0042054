// The queue at one window: the tickets this window has called (recall / served / absent), the
// board of who waits, and taking a walk-in ticket.
import {
  postStaffTickets, postStaffTicketsByIdAbsent, postStaffTicketsByIdRecall, postStaffTicketsByIdServed,
} from '../../api/appointments.js';
import { h, clear, field, select, button, table, act, notice, badge, fmtHM, TICKET_STATUS } from '../../ui.js';
import { personText } from '../case/list.js';

// Each action is the generated client call for its endpoint.
const TICKET_ACTIONS = {
  recall: (t) => postStaffTicketsByIdRecall(t.id),
  served: (t) => postStaffTicketsByIdServed(t.id),
  absent: (t) => postStaffTicketsByIdAbsent(t.id),
};

/** Follows a hall's queue by server push (the call screen's event stream): `changed()` runs each
 * time a ticket is taken, called or finished, from any window. Returns the function that stops. */
export function followBoard(hallId, changed) {
  if (!hallId) return () => {};
  const source = new EventSource(`/api/v1/halls/${encodeURIComponent(hallId)}/display/events`);
  source.addEventListener('board', () => { if (!document.hidden) changed(); });
  return () => source.close();
}

/** A ticket action whose outcome is told in `msg`; `reload()` runs after it either way. */
export async function ticketAction(t, action, label, btn, msg, reload) {
  const r = await act(msg, () => TICKET_ACTIONS[action](t), btn);
  if (r) notice(msg, `${r.ticket_number}：${outcome(r, label)}`);
  await reload();
}

// The first 过号 sends the ticket to the end of the line; only the second is final.
function outcome(r, label) {
  return r.status === 'waiting' && r.requeued ? '未到，已排到队尾（再次过号即记为过号）' : label;
}

function calledTicket(t, run) {
  return h('div', { class: 'row called', dataset: { ticket: t.ticket_number } },
    h('span', { class: 'big-number' }, t.ticket_number),
    h('div', { class: 'grow' }, h('div', {}, t.service_name || ''), t.resident ? h('div', {}, personText(t.resident)) : null,
      h('div', { class: 'muted' },
        `${t.kind === 'walk_in' ? '现场取号' : '预约'}　叫号时间 ${fmtHM(t.called_at)}　已重呼 ${t.recalls || 0} 次`
        + (t.requeued ? '　过号后重排' : ''))),
    h('div', { class: 'actions' },
      button('重呼', (e) => run(t, 'recall', '已重呼', e.target)),
      button('已办结', (e) => run(t, 'served', '已办结', e.target), { class: 'primary' }),
      button('过号', (e) => run(t, 'absent', '已记过号', e.target), { class: 'danger' })));
}

/** What this window has called now; `run(ticket, action, label, button)` acts on one. */
export function currentTickets(mine, run) {
  return [h('h2', {}, '本窗口当前'),
    mine.length ? mine.map((t) => calledTicket(t, run)) : h('p', { class: 'muted' }, '暂无，按“叫下一位”叫号')];
}

export function queueBoard(q) {
  return [h('p', {}, `等候 ${q.waiting} 人，已叫 ${q.called ?? 0} 人`), table([
    { label: '排队号', render: (t) => h('strong', {}, t.ticket_number) },
    { label: '事项', render: (t) => t.service_name || '—' },
    { label: '类型', render: (t) => (t.kind === 'walk_in' ? '现场' : '预约') },
    { label: '群众', render: (t) => (t.resident ? personText(t.resident) : '—') },
    { label: '状态', render: (t) => badge(TICKET_STATUS[t.status] || t.status, t.status === 'called' ? 'yellow' : '') },
    { label: '窗口', render: (t) => t.window_number || '—' },
  ], q.items.filter((t) => t.status === 'waiting' || t.status === 'called'), {
    empty: '没有排队的群众', rowAttrs: (t) => ({ dataset: { ticket: t.ticket_number, status: t.status } }),
  })];
}

/** The walk-in form; `hallId()` is the hall chosen, `taken()` runs after a ticket is taken.
 * Returns the form, its message slot and its service select (filled per hall). */
export function walkInForm(hallId, taken) {
  const walkSlot = h('div', { class: 'messages' });
  const walkService = select([], { name: 'walkin-service' });
  const walkBtn = h('button', { type: 'submit' }, '现场取号');
  const walkForm = h('form', {}, walkSlot, field('事项', walkService), walkBtn);
  walkForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const t = await act(walkSlot, () => postStaffTickets({ body: { hall_id: hallId(), service_id: walkService.value } }), walkBtn);
    if (t) {
      clear(walkSlot, h('div', { class: 'alert ok', role: 'status' }, '取号成功：',
        h('span', { class: 'big-number walkin-number' }, t.ticket_number), `　前面 ${t.ahead} 人`,
        t.estimated_wait_minutes !== undefined ? h('span', { class: 'walkin-estimate' },
          t.ahead ? `，预计等候约 ${t.estimated_wait_minutes} 分钟` : '，无需等候') : null));
      await taken();
    }
  });
  return { walkForm, walkSlot, walkService };
}
