// A case's materials (申请材料) for the staff handling it: what was given for each (uploaded files
// with thumbnails, an e-licence, paper, or missing under 容缺受理), each file opened full size
// (pictures in a viewer, PDFs in the browser's own viewer), and each material judged accepted or
// not acceptable with a reason, which a correction request then names by default.
// Files are fetched with the staff token and shown from blob: URLs; nothing else is cached.
import { api, blob } from '../api.js';
import { h, clear, button, badge, input, table, act, notice, section } from '../ui.js';
import { STATUS_LABELS } from '../status-labels.js';

const SOURCE = STATUS_LABELS.material_source;
const REVIEWABLE = new Set(['submitted', 'accepted', 'in_review']);

export function materialState(m) {
  if (m.provided) return badge(SOURCE[m.source] || '已提交', 'green');
  if (m.promised) return badge('容缺：承诺补齐', 'yellow');
  return badge('缺', 'red');
}

function reviewState(r) {
  if (!r) return badge('待审核');
  if (r.status === 'accepted') return badge('认可', 'green');
  return h('span', { class: 'review-rejected' }, badge('不予认可', 'red'), r.reason || '');
}

/** Open one file full size: a picture in a viewer, a PDF in the browser's PDF viewer. */
export async function openFile(file) {
  const data = await blob(`/staff/files/${file.id}/content`);
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

function fileTile(file, slot) {
  const tile = h('button', { type: 'button', class: 'file-tile', 'aria-label': `查看 ${file.name}`,
    dataset: { fileId: file.id } });
  if (file.has_thumbnail) {
    const img = h('img', { alt: `${file.name} 缩略图`, class: 'thumb' });
    tile.append(img);
    blob(`/staff/files/${file.id}/thumbnail`).then((b) => { img.src = URL.createObjectURL(b); })
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
    const updated = await act(slot, () => api.post(`/staff/applications/${app.id}/materials/${m.key}/review`, body), btn);
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
    { label: '提交方式', render: (m) => materialState(m) },
    { label: '内容', render: (m) => given(m, slot) },
    { label: '审核', render: (m) => h('div', {}, reviewState(m.review), mayJudge && m.provided ? judge(app, m, slot, onChanged) : null) },
  ], rows, { empty: '未登记材料', rowAttrs: (m) => ({ dataset: { material: m.key } }) }));
  return h('section', { class: 'card materials' }, h('h2', {}, '申请材料'), slot, body);
}

export { section };
