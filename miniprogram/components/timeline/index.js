// The case timeline (办理进度): one row per status change, newest last and highlighted.
const { dateTime, statusOf, CASE_STATUS, CASE_OUTCOME, COMPLAINT_STATUS } = require('../../utils/format');

const TABLES = { case: CASE_STATUS, complaint: COMPLAINT_STATUS };

Component({
  properties: {
    items: { type: Array, value: [] },
    kind: { type: String, value: 'case' },
    // A refused case's outcome: its refusal row says 不予受理 or 不予批准.
    outcome: { type: String, value: '' },
  },
  data: { rows: [] },
  observers: {
    'items, kind, outcome': function update(items, kind, outcome) {
      const list = Array.isArray(items) ? items : [];
      const refusal = kind === 'case' && CASE_OUTCOME[outcome];
      const rows = list.map((it, i) => ({
        key: `${i}-${it.status}`,
        label: (it.status === 'rejected' && refusal) || statusOf(TABLES[kind] || CASE_STATUS, it.status).text,
        at: dateTime(it.at),
        note: it.note || '',
        current: i === list.length - 1,
      }));
      this.setData({ rows });
    },
  },
});
