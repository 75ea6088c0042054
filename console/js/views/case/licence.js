// The e-licence a completed case issued (电子证照): its number and status, and for approvers its
// revocation (注销) with a reason; the holder is told and public verification answers 已撤销. The
// revocation form is shared with the licence register (pages/licences.js).
import { getStaffApplicationsByIdLicence, postStaffLicencesByIdRevoke } from '../../api/licences.js';
import { h, clear, field, button, act, notice, section, badge, fmtTime } from '../../ui.js';
import { STATUS_LABELS } from '../../status-labels.js';
import { myRoles } from '../../api.js';

const LICENCE_STATUS = STATUS_LABELS.licence || {};

export function revokeForm(lic, slot, done) {
  const reason = h('textarea', { name: 'revoke-reason', rows: 2, class: 'wide', maxlength: 200 });
  const go = button('撤销证照', async (e) => {
    if (reason.value.trim().length < 2) {
      notice(slot, '请写明撤销理由（将告知持证人）', 'error');
      return;
    }
    const r = await act(slot, () => postStaffLicencesByIdRevoke(lic.id, { body: { reason: reason.value.trim() } }), e.target);
    if (r) done(r);
  }, { class: 'danger' });
  return h('div', { class: 'actions' }, field('撤销理由', reason), go);
}

function licenceCard(lic, box) {
  const slot = h('div', { class: 'messages' });
  const revoked = lic.status === 'revoked';
  return h('div', { class: 'licence', dataset: { licence: lic.id, status: lic.status } }, slot,
    h('p', {}, h('strong', {}, `${lic.name}　${lic.number}`), ' ',
      badge(LICENCE_STATUS[lic.status] || lic.status, revoked ? 'red' : 'green')),
    h('p', { class: 'muted' }, `持证人 ${lic.holder_masked}　颁发 ${fmtTime(lic.issued_at).slice(0, 10)}`
      + `${lic.expires_at ? `　有效期至 ${fmtTime(lic.expires_at).slice(0, 10)}` : ''}　${lic.issuer}`),
    !revoked && myRoles().has('approver') ? revokeForm(lic, slot, (r) => {
      clear(box, licenceCard(r, box));
      notice(box.querySelector('.messages'), '已撤销，持证人将收到通知；公开查验将显示已撤销');
    }) : null);
}

/** The licence section of a completed case (nothing when the case issued none). */
export async function licenceSection(app) {
  if (app.status !== 'completed') return null;
  let lic = null;
  try {
    lic = await getStaffApplicationsByIdLicence(app.id);
  } catch (e) {
    return null; // the case issued no licence (404)
  }
  const box = h('div');
  clear(box, licenceCard(lic, box));
  return section('电子证照', box);
}
