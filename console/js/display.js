// The hall's call screen (叫号屏): public, no login, no personal data. It reads the board once,
// then follows it by server push (EventSource) and speaks each new call in Mandarin when the
// operator has turned speech on (browsers speak only after a click); without speech it flashes.
const hallId = (window.location.pathname.match(/\/hall\/([0-9a-fA-F]{24})\/display/) || [])[1];
const base = `/api/v1/halls/${hallId}/display`;
const announced = new Set();
let speaking = false;
let first = true;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function windowLabel(c) {
  return c.window_number ? `${c.window_number} 号窗口` : '';
}

function phrase(c) {
  return `请 ${c.ticket_number} 号到 ${c.window_number} 号窗口办理`;
}

function speak(text) {
  if (!speaking || !('speechSynthesis' in window)) return false;
  const u = new SpeechSynthesisUtterance(text);
  u.lang = 'zh-CN';
  u.rate = 0.9;
  window.speechSynthesis.speak(u);
  return true;
}

function render(board) {
  document.getElementById('hall-name').textContent = `${board.hall_name || '大厅'} · 叫号`;
  const called = document.getElementById('called');
  called.replaceChildren(...board.called.map((c) => {
    const li = el('li');
    li.dataset.ticket = c.ticket_number;
    li.append(el('span', 'number', c.ticket_number), el('span', 'window', windowLabel(c)));
    return li;
  }));
  if (!board.called.length) called.append(el('li', 'empty', '暂无叫号'));
  const next = document.getElementById('next');
  next.replaceChildren(...board.next.map((n) => el('li', '', n.ticket_number)));
  if (!board.next.length) next.append(el('li', 'empty', '暂无等候'));
  document.getElementById('status').textContent = `等候 ${board.waiting} 人`;
  // A call, or a recall, not yet announced: spoken (or flashed), newest last.
  for (const c of [...board.called].reverse()) {
    const key = `${c.ticket_number}:${c.window_number}:${c.recalls}`;
    if (announced.has(key)) continue;
    announced.add(key);
    if (first) continue; // what was already on the board when the screen opened is not read out
    if (!speak(phrase(c))) {
      const li = called.querySelector(`[data-ticket="${c.ticket_number}"]`);
      if (li) li.classList.add('flash');
    }
  }
  first = false;
}

function follow() {
  const source = new EventSource(`${base}/events`);
  source.addEventListener('board', (e) => render(JSON.parse(e.data)));
  source.addEventListener('error', () => {
    document.getElementById('status').textContent = '连接中断，正在重新连接……';
  });
}

function voiceButton() {
  const btn = document.getElementById('voice');
  if (!('speechSynthesis' in window)) {
    btn.textContent = '此浏览器不支持语音播报';
    btn.disabled = true;
    return;
  }
  btn.addEventListener('click', () => {
    speaking = !speaking;
    btn.setAttribute('aria-pressed', String(speaking));
    btn.textContent = speaking ? '语音播报已开启' : '开启语音播报';
    if (speaking) speak('语音播报已开启');
  });
}

if (!hallId) {
  document.getElementById('status').textContent = '地址有误：请使用“/hall/大厅编号/display”打开本页';
} else {
  voiceButton();
  fetch(base).then((r) => (r.ok ? r.json() : Promise.reject(r.status))).then(render).then(follow, () => {
    document.getElementById('status').textContent = '未找到该大厅，请核对地址';
  });
}
