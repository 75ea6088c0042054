// The case timeline (办理进度): one row per status change, newest last and highlighted.
const { dateTime, statusOf, CASE_STATUS, COMPLAINT_STATUS } = require('../../utils/format');

const TABLES = { case: CASE_STATUS, complaint: COMPLAINT_STATUS };

Component({
  properties: {
    items: { type: Array, value: [] },
    kind: { type: String, value: 'case' },
  },
  data: { rows: [] },
  observers: {
    'items, kind': function update(items) {
      const list = Array.isArray(items) ? items : [];
      const rows = list.map((it, i) => ({
        key: `${i}-${it.status}`,
        label: statusOf(TABLES[this.data.kind] || CASE_STATUS, it.status).text,
        at: dateTime(it.at),
        note: it.note || '',
        current: i === list.length - 1,
      }));
      this.setData({ rows });
    },
  },
});
