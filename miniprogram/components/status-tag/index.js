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
  },
  data: { text: '', theme: 'default' },
  observers: {
    'kind, status': function update(kind, status) {
      const s = fmt.statusOf(TABLES[kind] || {}, status);
      this.setData({ text: s.text, theme: s.theme });
    },
  },
});
