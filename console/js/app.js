// App shell: login, role-based navigation, hash routing (#/area/page[/id]).
import { currentSession, login, logout, loadMe, myRoles } from './api.js';
import { getStaffCalendar } from './api/calendar.js';
import { serverNow, syncClock } from './clock.js';
import { h, clear, field, input, errorBox, ROLE_NAMES, toast } from './ui.js';
import clerkPages from './pages/clerk.js';
import approverPages from './pages/approver.js';
import hallPages from './pages/hall.js';
import financePages from './pages/finance.js';
import supervisorPages from './pages/supervisor.js';
import adminPages from './pages/admin.js';
import casePages from './pages/case.js';
import agencyPages from './pages/agency.js';
import reclaimPages from './pages/reclaim.js';
import hotlinePages from './pages/hotline.js';
import calendarPages from './pages/calendar.js';
import bundlePages from './pages/bundles.js';
import rectificationPages from './pages/rectifications.js';
import licencePages from './pages/licences.js';
import { firstPasswordForm } from './views/staff/password.js';

// Each page: {path, title, group, roles, render(main, params), nav?: false}
const PAGES = [...clerkPages, ...agencyPages, ...reclaimPages, ...approverPages, ...casePages, ...hotlinePages,
  ...hallPages, ...financePages, ...supervisorPages, ...adminPages, ...calendarPages, ...bundlePages, ...rectificationPages,
  ...licencePages];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const topbar = document.getElementById('topbar');
let cleanup = null;

function allowed(page) {
  const mine = myRoles();
  return page.roles.some((r) => mine.has(r));
}

function parseHash() {
  const raw = (location.hash || '').replace(/^#\/?/, '');
  return raw.split('/').filter(Boolean).map(decodeURIComponent);
}

function match(parts) {
  for (const p of PAGES) {
    const pp = p.path.split('/');
    if (pp.length !== parts.length) continue;
    const params = {};
    if (pp.every((seg, i) => (seg.startsWith(':') ? ((params[seg.slice(1)] = parts[i]), true) : seg === parts[i]))) {
      return { page: p, params };
    }
  }
  return null;
}

function renderNav(active) {
  const groups = new Map();
  for (const p of PAGES) {
    if (p.nav === false || !allowed(p)) continue;
    if (!groups.has(p.group)) groups.set(p.group, []);
    groups.get(p.group).push(p);
  }
  clear(nav);
  for (const [group, pages] of groups) {
    nav.append(h('div', { class: 'nav-group' },
      h('h2', {}, group),
      h('ul', {}, pages.map((p) => h('li', {}, h('a', {
        href: `#/${p.path}`,
        'aria-current': active && active.path === p.path ? 'page' : null,
        dataset: { page: p.path },
      }, p.title))))));
  }
}

function firstPage() {
  return PAGES.find((p) => p.nav !== false && allowed(p));
}

/** Stop what the page on show does in the background (its polling) before another takes its place. */
function leavePage() {
  if (cleanup) {
    try { cleanup(); } catch { /* page already gone */ }
    cleanup = null;
  }
}

function showWho(staff) {
  clear(document.getElementById('who'),
    h('span', { class: 'name' }, staff.display_name || staff.username || ''),
    ' ',
    h('span', { class: 'roles' }, (staff.roles || []).map((r) => ROLE_NAMES[r] || r).join('、')));
}

/** Render the page found into its own element; a slow page left behind writes into a detached one. */
async function renderPage(found) {
  const view = h('div', { class: 'view', dataset: { page: found.page.path } });
  clear(main, view);
  await syncClock();  // the page's "today" and default dates are the server's
  try {
    const done = (await found.page.render(view, found.params)) || null;
    if (view.isConnected) cleanup = done;
    else if (done) done();
  } catch (err) {
    view.append(errorBox(err));
  }
  const h1 = view.querySelector('h1');
  if (h1 && document.activeElement === document.body) h1.focus({ preventScroll: true });
}

async function route() {
  leavePage();
  const s = currentSession();
  if (!s) {
    showLogin();
    return;
  }
  topbar.hidden = false;
  showWho(s.staff || {});
  if (s.staff && s.staff.password_change_required) {
    showFirstPassword(s.staff);
    return;
  }
  nav.hidden = false;
  const found = match(parseHash());
  if (!found) {
    const first = firstPage();
    renderNav(null);
    if (first) location.replace(`#/${first.path}`);
    else clear(main, h('h1', {}, '没有可用的功能'), h('p', {}, '您的账号没有分配角色，请联系系统管理员。'));
    return;
  }
  renderNav(found.page);
  showCalendarWarning();
  document.title = `${found.page.title} · 指尖办工作台`;
  if (!allowed(found.page)) {
    clear(main, h('h1', { tabindex: '-1' }, '无权访问'),
      h('div', { class: 'alert error', role: 'alert', 'data-code': 'forbidden' }, '您的角色无权访问此页面。'));
    return;
  }
  await renderPage(found);
}

// A password an administrator set is changed before anything else (the server allows nothing else).
function showFirstPassword(staff) {
  nav.hidden = true;
  document.title = '修改初始密码 · 指尖办工作台';
  const { form, first } = firstPasswordForm(staff, async () => {
    await loadMe();
    toast('密码已修改，以后请使用新密码登录。');
    await route();
  });
  clear(main, form);
  first.focus();
}

// Until next year's holiday schedule is official (from 1 November), admins see why and where to enter it.
let calendarChecked = 0;
async function showCalendarWarning() {
  const banner = document.getElementById('banner');
  if (!myRoles().has('admin')) {
    banner.hidden = true;
    return;
  }
  if (Date.now() - calendarChecked < 10 * 60 * 1000) return;
  calendarChecked = Date.now();
  try {
    const cal = await getStaffCalendar();
    clear(banner);
    banner.hidden = !cal.warning;
    if (cal.warning) banner.append(h('span', {}, cal.warning), ' ', h('a', { href: '#/admin/calendar' }, '前往工作日历'));
  } catch {
    calendarChecked = 0;
  }
}

// Why the last session ended, shown on the login form until someone logs in again: a page
// change after the session ended must not wipe the reason.
let endedBecause = null;

/** The login form; `loggedIn()` runs after a successful login. */
function loginForm(loggedIn) {
  const user = input({ name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const pass = input({ name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const slot = h('div', { class: 'messages', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: 'primary' }, '登录');
  const form = h('form', { class: 'login card', novalidate: true },
    h('h1', {}, '工作人员登录'),
    h('p', { class: 'sub' }, '指尖办 · 政务服务中心工作台'),
    slot,
    field('用户名', user),
    field('密码', pass),
    submit);
  if (endedBecause) slot.append(h('div', { class: 'alert warn', role: 'status' }, endedBecause));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(slot);
    if (!user.value.trim() || !pass.value) {
      slot.append(h('div', { class: 'alert error', role: 'alert' }, '请输入用户名和密码'));
      return;
    }
    submit.disabled = true;
    try {
      await login(user.value.trim(), pass.value);
      pass.value = '';
      await loggedIn();
    } catch (err) {
      slot.append(errorBox(err));
      pass.value = '';
      pass.focus();
    } finally {
      submit.disabled = false;
    }
  });
  return { form, user };
}

function showLogin(message) {
  if (message) endedBecause = message;
  leavePage();
  calendarChecked = 0;
  document.getElementById('banner').hidden = true;
  topbar.hidden = true;
  nav.hidden = true;
  document.title = '登录 · 指尖办工作台';
  const { form, user } = loginForm(async () => {
    endedBecause = null;
    lastUse = Date.now();
    await route();
  });
  clear(main, form);
  user.focus();
}

async function endHere(message) {
  if (!currentSession()) return;  // already ended here, with its own message
  await logout();
  history.replaceState(null, '', location.pathname);
  showLogin(message);
}

document.getElementById('logout').addEventListener('click', () => endHere('您已退出登录。'));

// The session's limits, kept in this tab too: after idle_seconds without the staff member using
// the page, or at ends_at, log out cleanly and say why (the server refuses the session anyway).
const WARN_BEFORE_END_MS = 5 * 60 * 1000;
let lastUse = Date.now();
let warnedEnd = false;
for (const type of ['pointerdown', 'keydown', 'wheel', 'touchstart']) {
  window.addEventListener(type, () => { lastUse = Date.now(); }, { capture: true, passive: true });
}
setInterval(() => {
  const s = currentSession();
  if (!s) {
    warnedEnd = false;
    return;
  }
  const now = Date.now();
  if (s.idle_seconds && now - lastUse > s.idle_seconds * 1000) {
    endHere(`${Math.round(s.idle_seconds / 60)} 分钟未操作，已自动退出登录，请重新登录。`);
    return;
  }
  // ends_at is on the server's clock
  const ends = s.ends_at ? Date.parse(s.ends_at) : NaN;
  if (serverNow() >= ends) {
    endHere('本次登录已到期，请重新登录。');
  } else if (!warnedEnd && ends - serverNow() <= WARN_BEFORE_END_MS) {
    warnedEnd = true;
    toast('本次登录将在 5 分钟内到期，请及时保存正在办理的事项。');
  }
}, 15 * 1000);

window.addEventListener('zjb:session-ended', (e) => {
  showLogin((e.detail && e.detail.reason) || '登录已过期，请重新登录。');
});
window.addEventListener('hashchange', route);

(async () => {
  if (currentSession()) {
    try {
      await loadMe();
    } catch (err) {
      if (err.status !== 401) toast(err.message);
    }
  }
  await route();
})();
