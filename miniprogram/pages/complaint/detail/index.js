// A complaint: its timeline, the reply, and whether the resident is satisfied (not satisfied sends it
// back once).
const complaints = require('../../../services/complaints');
const files = require('../../../services/files');
const { date, dateTime } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

Page(withBase({
  data: { id: '', isNew: false, c: null, due: '', repliedAt: '', closeAt: '', comment: '', busy: false, photos: [] },
  onLoad(options = {}) {
    this.setData({ id: options.id || '', isNew: options.new === '1' });
  },
  onShow() {
    this.reload();
  },
  async reload() {
    const c = await this.runLoad(() => complaints.get(this.data.id));
    if (!c) return;
    this.setData({
      c,
      due: c.due ? date(c.due) : '',
      repliedAt: c.reply ? dateTime(c.reply.at) : '',
      closeAt: c.close_at ? date(c.close_at) : '',
    });
    this.loadPhotos(c.attachments || []);
  },
  // The photos the resident attached, as thumbnails (a photo that cannot be fetched is left out).
  async loadPhotos(ids) {
    if (ids.join() === this.data.photos.map((p) => p.id).join()) return;
    const photos = [];
    for (const id of ids) {
      try {
        photos.push({ id, path: await files.thumbnail(id) });
      } catch (e) {
        // shown without it; the staff handling the complaint still see every photo
      }
    }
    this.setData({ photos });
  },
  async previewPhoto(e) {
    const { id } = e.currentTarget.dataset;
    try {
      const path = await files.content(id);
      wx.previewImage({ current: path, urls: [path] });
    } catch (err) {
      this.sayError(err);
    }
  },
  onComment(e) {
    this.setData({ comment: (e.detail && e.detail.value) || '' });
  },
  satisfied() {
    return this.send(true);
  },
  unsatisfied() {
    return this.send(false);
  },
  async send(satisfied) {
    if (this.data.busy) return;
    this.setData({ busy: true, tip: '' });
    try {
      const c = await complaints.feedback(this.data.id, satisfied, this.data.comment.trim());
      this.setData({ comment: '' });
      this.say(c.status === 'closed' ? '感谢您的评价，工单已办结' : '已退回承办部门重新办理');
      await this.reload();
    } catch (e) {
      this.sayError(e);
    }
    this.setData({ busy: false });
  },
}));
