// A status label for cases, appointments, waitlist entries and payments.
const fmt = require('../../utils/format');

const TABLES = {
  case: fmt.CASE_STATUS,
  appointment: fmt.APPOINTMENT_STATUS,
  waitlist: fmt.WAITLIST_STATUS,
  payment: fmt.PAYMENT_STATUS,
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
