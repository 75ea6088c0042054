// The case timeline (办理进度): one row per status change, newest last and highlighted.
const { dateTime, statusOf, CASE_STATUS } = require('../../utils/format');

Component({
  properties: {
    items: { type: Array, value: [] },
  },
  data: { rows: [] },
  observers: {
    items(items) {
      const list = Array.isArray(items) ? items : [];
      const rows = list.map((it, i) => ({
        key: `${i}-${it.status}`,
        label: statusOf(CASE_STATUS, it.status).text,
        at: dateTime(it.at),
        note: it.note || '',
        current: i === list.length - 1,
      }));
      this.setData({ rows });
    },
  },
});
