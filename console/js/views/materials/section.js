// A case's materials (申请材料) for the staff handling it: what was given for each (uploaded files
// with thumbnails, an e-licence, paper, or missing under 容缺受理), each file opened full size
// (pictures in a viewer, PDFs in the browser's own viewer), and each material judged accepted or
// not acceptable with a reason, which a correction request then names by default.
// Files are fetched with the staff token and shown from blob: URLs; nothing else is cached.
import {
  postStaffApplicationsByIdMaterialsByKeyReceived, postStaffApplicationsByIdMaterialsByKeyReview,
} from '../../api/cases.js';
import { getStaffFilesByIdContent, getStaffFilesByIdThumbnail } from '../../api/files.js';
import { h, clear, button, badge, input, table, act, notice, section, fmtTime } from '../../ui.js';
import { STATUS_LABELS } from '../../status-labels.js';

const SOURCE = STATUS_LABELS.material_source;
const PROMISE = STATUS_LABELS.promise;
const REVIEWABLE = new Set(['submitted', 'accepted', 'in_review']);
const SUPPLIABLE = new Set(['submitted', 'accepted', 'in_review', 'approved', 'correction_requested']);

function day(iso) {
  return iso ? fmtTime(iso).slice(0, 10) : '';
}

/** How the material was given (上传文件, 电子证照, 窗口提交纸质材料, 网上勾选, 一件事共享, 容缺), and a
 * promise's due date and state. */
export function materialState(m) {
  const p = m.promise;
  const source = m.source || (m.provided ? 'paper' : (m.promised ? 'promised' : null));
  const kind = source === 'promised' ? 'yellow' : (source === 'declared' ? '' : 'green');
  const label = source ? badge(SOURCE[source] || '已提交', kind) : badge('缺', 'red');
  const extra = [];
  if (m.shared_from) extra.push(h('span', { class: 'muted' }, `（由“${m.shared_from}”办理结果共享）`));
  if (p) {
    const state = p.overdue ? '已逾期' : (PROMISE[p.status] || p.status);
    extra.push(h('div', { class: 'promise', dataset: { promise: p.overdue ? 'overdue' : p.status } },
      badge(`承诺${day(p.due)}前补齐 · ${state}`, p.overdue ? 'red' : (p.status === 'open' ? 'yellow' : 'green')),
      p.waiver_reason ? h('span', { class: 'muted' }, ` 办结说明：${p.waiver_reason}`) : null));
  }
  return h('div', {}, label, ...extra);
}

function reviewState(r, m) {
  if (!m.provided) return '—';
  if (!r) return badge('待审核');
  if (r.status === 'accepted') return badge(r.implied ? '认可（随批准）' : '认可', 'green');
  return h('span', { class: 'review-rejected' }, badge('不予认可', 'red'), r.reason || '');
}

/** Earlier submissions of a material a correction replaced, with their judgement. */
function historyBlock(m) {
  const rows = m.history || [];
  if (!rows.length) return null;
  return h('details', { class: 'material-history', open: true },
    h('summary', {}, `此前提交 ${rows.length} 次`),
    h('ol', {}, rows.map((x) => {
      const what = x.licence ? `${x.licence.name} ${x.licence.number}`
        : ((x.files || []).map((f) => f.name).join('、') || SOURCE[x.source] || '');
      const r = x.review;
      const verdict = r ? (r.status === 'rejected' ? `不予认可：${r.reason || ''}` : '认可') : '未审核';
      const asked = x.correction && x.correction.reason && (!r || r.reason !== x.correction.reason)
        ? `；补正理由：${x.correction.reason}` : '';
      return h('li', { dataset: { verdict: r ? r.status : 'none' } },
        `${what} — ${verdict}${asked}`, x.replaced_at ? h('span', { class: 'muted' }, `（${fmtTime(x.replaced_at)} 替换）`) : null);
    })));
}

/** A clerk receives a promised material on paper at the window. */
function receive(app, m, slot, onChanged) {
  if (!SUPPLIABLE.has(app.status) || !m.promise || m.promise.status !== 'open') return null;
  const btn = button('窗口已收取纸质材料', async () => {
    const updated = await act(slot, () => postStaffApplicationsByIdMaterialsByKeyReceived(app.id, m.key), btn);
    if (updated) onChanged(updated, `已收取：${m.name}`);
  }, { class: 'small', dataset: { receive: m.key } });
  return btn;
}

/** Open one file full size: a picture in a viewer, a PDF in the browser's PDF viewer. */
export async function openFile(file) {
  const data = await getStaffFilesByIdContent(file.id);
  const url = URL.createObjectURL(data);
  const isPdf = data.type === 'application/pdf';
  const dlg = h('dialog', { class: 'file-viewer', 'aria-label': file.name, dataset: { fileId: file.id } },
    h('div', { class: 'viewer-bar' },
      h('strong', {}, file.name),
      h('a', { href: url, target: '_blank', rel: 'noopener' }, '在新标签页打开'),
      button('关闭', () => dlg.close(), { class: 'link' })),
    isPdf ? h('iframe', { src: url, title: `PDF：${file.name}`, class: 'viewer-pdf', dataset: { type: data.type, size: data.size } })
      : h('img', { src: url, alt: file.name, class: 'viewer-img' }));
  dlg.addEventListener('close', () => {
    URL.revokeObjectURL(url);
    dlg.remove();
  });
  document.body.append(dlg);
  dlg.showModal();
  return dlg;
}

/** A file's tile: its thumbnail (or a PDF sign) and name; a click opens it full size. */
export function fileTile(file, slot) {
  const tile = h('button', { type: 'button', class: 'file-tile', 'aria-label': `查看 ${file.name}`,
    dataset: { fileId: file.id } });
  if (file.has_thumbnail) {
    const img = h('img', { alt: `${file.name} 缩略图`, class: 'thumb' });
    tile.append(img);
    getStaffFilesByIdThumbnail(file.id).then((b) => { img.src = URL.createObjectURL(b); })
      .catch(() => img.replaceWith(h('span', { class: 'thumb-missing' }, '无预览')));
  } else {
    tile.append(h('span', { class: 'thumb pdf-icon', 'aria-hidden': 'true' }, 'PDF'));
  }
  tile.append(h('span', { class: 'file-name' }, file.name));
  tile.addEventListener('click', () => act(slot, () => openFile(file), tile));
  return tile;
}

function given(m, slot) {
  if (m.source === 'licence' && m.licence) {
    const l = m.licence;
    return h('div', { class: 'licence-given' }, `${l.name} ${l.number}`,
      h('span', { class: 'muted' }, `（${l.issuer || ''}）`));
  }
  const files = m.files && m.files.length ? m.files : (m.file_ids || []).map((id) => ({ id, name: id, has_thumbnail: false }));
  if (files.length) return h('div', { class: 'file-tiles' }, files.map((f) => fileTile(f, slot)));
  return '—';
}

function content(m, slot) {
  return h('div', {}, given(m, slot), historyBlock(m));
}

function judge(app, m, slot, onChanged) {
  if (!REVIEWABLE.has(app.status)) return null;
  const reason = input({ class: 'reason', name: `reason-${m.key}`, placeholder: '不予认可的原因', 'aria-label': `${m.name} 不予认可的原因` });
  const send = async (verdict, btn) => {
    const body = { verdict };
    if (verdict === 'rejected') {
      if (!reason.value.trim()) {
        notice(slot, `请填写“${m.name}”不予认可的原因`, 'error');
        reason.focus();
        return;
      }
      body.reason = reason.value.trim();
    }
    const updated = await act(slot, () => postStaffApplicationsByIdMaterialsByKeyReview(app.id, m.key, { body }), btn);
    if (updated) onChanged(updated, `已${verdict === 'accepted' ? '认可' : '标记为不予认可'}：${m.name}`);
  };
  const ok = button('认可', () => send('accepted', ok), { class: 'small', dataset: { review: 'accepted', key: m.key } });
  const no = button('不予认可', () => send('rejected', no), { class: 'small danger', dataset: { review: 'rejected', key: m.key } });
  return h('div', { class: 'judge' }, ok, reason, no);
}

/** The materials section of a case page. */
export function materialsSection(app, mayJudge, onChanged) {
  const slot = h('div', { class: 'messages' });
  const rows = app.materials || [];
  const body = h('div');
  clear(body, table([
    { label: '材料', render: (m) => h('span', {}, m.name || m.key, m.required ? '' : h('span', { class: 'muted' }, '（非必需）')) },
    { label: '提交方式', render: (m) => h('div', {}, materialState(m), mayJudge ? receive(app, m, slot, onChanged) : null) },
    { label: '内容', render: (m) => content(m, slot) },
    { label: '审核', render: (m) => h('div', {}, reviewState(m.review, m), mayJudge && m.provided ? judge(app, m, slot, onChanged) : null) },
  ], rows, { empty: '未登记材料', rowAttrs: (m) => ({ dataset: { material: m.key } }) }));
  return h('section', { class: 'card materials' }, h('h2', {}, '申请材料'), slot, body);
}

export { section };
