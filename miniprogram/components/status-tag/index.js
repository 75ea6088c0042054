// A status label for cases, appointments, waitlist entries, payments, complaints, bundles and grants.
const fmt = require('../../utils/format');

const TABLES = {
  case: fmt.CASE_STATUS,
  appointment: fmt.APPOINTMENT_STATUS,
  waitlist: fmt.WAITLIST_STATUS,
  payment: fmt.PAYMENT_STATUS,
  complaint: fmt.COMPLAINT_STATUS,
  bundle: fmt.BUNDLE_STATUS,
  grant: fmt.GRANT_STATUS,
};

Component({
  properties: {
    kind: { type: String, value: 'case' },
    status: { type: String, value: '' },
    // A refused case's outcome (not_accepted 不予受理 / not_approved 不予批准): said in place of the status.
    outcome: { type: String, value: '' },
  },
  data: { text: '', theme: 'default' },
  observers: {
    'kind, status, outcome': function update(kind, status, outcome) {
      const s = fmt.statusOf(TABLES[kind] || {}, status);
      const refusal = kind === 'case' && status === 'rejected' && fmt.CASE_OUTCOME[outcome];
      this.setData({ text: refusal || s.text, theme: s.theme });
    },
  },
});
