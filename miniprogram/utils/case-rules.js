// Rules about a case that the API applies too (backend/cases/rules.py, same names in snake_case).
// Both sides are tested against the same examples: test/case-rules.examples.json.

// Whether a case may be rated (好差评): every finished case may, whatever its result: completed,
// rejected, or withdrawn after it had been accepted. `history` is the statuses of its timeline.
function ratingAllowed(status, history) {
  if (status === 'completed' || status === 'rejected') return true;
  return status === 'withdrawn' && (history || []).includes('accepted');
}

// Whether the case page offers rating: allowed, and not rated yet.
function canRate(kase) {
  if (!kase || kase.rated) return false;
  return ratingAllowed(kase.status, (kase.timeline || []).map((e) => e.status));
}

// What a refusal was: 'not_accepted' (不予受理) when the case was refused at intake, before it was
// accepted; 'not_approved' (不予批准) after review; null for a case that was not refused.
function outcome(status, history) {
  if (status !== 'rejected') return null;
  return (history || []).includes('accepted') ? 'not_approved' : 'not_accepted';
}

module.exports = { ratingAllowed, canRate, outcome };
