// Canned backend answers shaped like the contract / plan, installed on the fake server.
const SERVICE = {
  id: 'svc1', code: 'hukou', name: '户口迁移', department_id: 'dep1', department_name: '公安局',
  hall_ids: ['hall1'], frequent: true, status: 'active',
  guide: {
    materials: [
      { key: 'id_card', name: '居民身份证', required: true, tolerable: false },
      { key: 'hukou_book', name: '户口簿', required: true, tolerable: true, note: '原件' },
      { key: 'photo', name: '照片', required: false, tolerable: false },
    ],
    fee_fen: 1000, statutory_days: 20, promised_days: 5, location: '市民中心 A 区 3 号窗口',
    online: true, bookable: true, visit_required: true, max_visits: 1, contact_phone: '0571-12345',
  },
};
const HALL = { id: 'hall1', code: 'main', name: '市民中心', address: '人民路 1 号', opening_hours: [], closed_dates: [], windows: [], status: 'active' };

function slot(id, hh, remaining) {
  return { id, hall_id: 'hall1', service_id: 'svc1', start: `2030-01-07T${hh}:00:00+08:00`, end: `2030-01-07T${hh + 1}:00:00+08:00`.replace(`T${hh + 1}`, `T${String(Number(hh) + 1).padStart(2, '0')}`), capacity: 6, remaining };
}

const APPOINTMENT = {
  id: 'ap1', code: 'K7PX3M9Q', status: 'booked', service_id: 'svc1', service_name: '户口迁移', hall_id: 'hall1', hall_name: '市民中心',
  start: '2030-01-07T09:00:00+08:00', end: '2030-01-07T10:00:00+08:00', cancel_deadline: '2030-01-07T07:00:00+08:00',
  slot: { id: 'sl1', hall_id: 'hall1', start: '2030-01-07T09:00:00+08:00', end: '2030-01-07T10:00:00+08:00' },
  qr_png_base64: 'iVBORw0KGgo=',
};

const CASE = {
  id: 'c1', serial: 'ZJB20240506000123', service_id: 'svc1', service_name: '户口迁移', status: 'in_review',
  form: { contact_phone: '13800000000', note: '', materials: { id_card: true, hukou_book: true } },
  created_at: '2024-05-06T09:00:00+08:00',
  deadline: '2024-05-13T23:59:59+08:00', deadline_provisional: true,
  timeline: [
    { status: 'submitted', at: '2024-05-06T09:00:00+08:00', note: '' },
    { status: 'accepted', at: '2024-05-06T10:00:00+08:00', note: '窗口受理' },
    { status: 'in_review', at: '2024-05-07T11:00:00+08:00', note: '' },
  ],
};

const PAYMENT = {
  id: 'pay1', status: 'unpaid', amount_fen: 1050, out_trade_no: 'ZJB2024050600001',
  items: [{ name: '工本费', amount_fen: 1000 }, { name: '快递费', amount_fen: 50 }], receipt_id: null,
  created_at: '2024-05-06T09:00:00+08:00',
};

const RECEIPT = {
  id: 'r1', kind: 'blue', status: 'issued', refunded_fen: 0, payment_id: 'pay1', code: '33010124', number: '0000012345', check_code: 'a1b2c3', amount_fen: 1050,
  payer_masked: '张*', issued_at: '2024-05-06T09:05:00+08:00', items: [{ name: '工本费', amount_fen: 1000 }],
};

const TEMPLATES = [
  { key: 'appointment_reminder', template_id: 'tpl-a', title: '预约提醒' },
  { key: 'case_progress', template_id: 'tpl-b', title: '办件进度' },
  { key: 'payment_notice', template_id: 'tpl-c', title: '缴费通知' },
];

const LIFE_EVENT = {
  id: 'move', name: '我要迁户口', summary: '户口迁入和社保卡地址变更一次办。', fee_fen: 1000, promised_days: 5,
  services: [
    { service_id: 'svc1', name: '户口迁移', department_name: '公安局', fee_fen: 1000, promised_days: 5 },
    { service_id: 'svc2', name: '社保卡信息变更', department_name: '人社局', fee_fen: 0, promised_days: 3 },
  ],
  form_schema: {
    type: 'object', additionalProperties: false, 'x-order': ['new_address', 'reason', 'family_size', 'contact_phone'],
    required: ['new_address', 'reason', 'contact_phone'],
    properties: {
      new_address: { type: 'string', title: '迁入地址', maxLength: 100, minLength: 1, 'x-services': ['户口迁移', '社保卡信息变更'] },
      reason: { type: 'string', title: '迁移原因', enum: ['投靠配偶', '购房落户'], 'x-services': ['户口迁移'] },
      family_size: { type: 'integer', title: '随迁人数', minimum: 0, maximum: 10, 'x-services': ['户口迁移'] },
      contact_phone: { type: 'string', title: '联系电话', pattern: '^1[3-9]\\d{9}$', 'x-message': '请填写 11 位手机号码',
        'x-services': ['户口迁移', '社保卡信息变更'] },
    },
  },
  materials: [
    { key: 'id_card', name: '居民身份证', required: true, tolerable: false, services: ['户口迁移', '社保卡信息变更'] },
    { key: 'housing', name: '住所证明', required: true, tolerable: true, services: ['户口迁移'] },
  ],
  shared_materials: [{ key: 'hukou_page', name: '户口簿个人页', from_service: '户口迁移' }],
};

const BUNDLE_CASES = [
  { id: 'c1', serial: 'ZJB20240506000123', service_id: 'svc1', service_name: '户口迁移', department_name: '公安局', status: 'accepted' },
  { id: 'c2', serial: 'ZJB20240506000124', service_id: 'svc2', service_name: '社保卡信息变更', department_name: '人社局', status: 'submitted' },
];
const BUNDLE = {
  id: 'b1', serial: 'YJS20240506000001', life_event_id: 'move', name: '我要迁户口', status: 'in_progress', done: false,
  created_at: '2024-05-06T09:00:00+08:00', done_at: null,
  applications: BUNDLE_CASES,
  cases: BUNDLE_CASES, // the same list under its earlier name; the pages read `applications`
  payment: { id: 'pay1', status: 'unpaid', amount_fen: 1000, receipt_id: null },
};

const COMPLAINT = {
  id: 'q1', serial: 'GD20240506000007', category: 'complaint', category_name: '投诉', content: '市民中心停车场出口道闸坏了',
  location: '人民路 1 号', attachments: [], contact_ok: true, status: 'replied', status_name: '已答复', due: null, due_provisional: false,
  light: null, stage: null, department_id: 'dep1', department_name: '公安局', can_feedback: true, reopened: false,
  reply: { text: '道闸已修复，感谢监督。', at: '2024-05-07T10:00:00+08:00', by: '公安局' }, feedback: null,
  merged_into: null, close_at: '2024-05-14T10:00:00+08:00', created_at: '2024-05-06T09:00:00+08:00',
  updated_at: '2024-05-07T10:00:00+08:00',
  timeline: [
    { status: 'received', at: '2024-05-06T09:00:00+08:00', note: '诉求已登记' },
    { status: 'assigned', at: '2024-05-06T11:00:00+08:00', note: '转交公安局办理' },
    { status: 'replied', at: '2024-05-07T10:00:00+08:00', note: '公安局已答复' },
  ],
};

const GRANT = {
  id: 'g1', status: 'active', grantee: { type: 'staff', name_masked: '王**', username: 'clerk1' },
  grantor: { name_masked: '张*' }, service_ids: ['svc1'], services: [{ id: 'svc1', name: '户口迁移' }], days: 7,
  created_at: '2024-05-06T09:00:00+08:00', expires_at: '2030-05-13T09:00:00+08:00', revoked_at: null,
};

const RECEIVED = {
  ...GRANT, id: 'g2', grantee: { type: 'resident', name_masked: '张*' }, grantor: { name_masked: '李*' },
  service_ids: null, services: null,
};

// GET /time: the server's clock, `aheadMs` ahead of this machine's (as a moved sandbox clock is).
function serverTime(aheadMs = 0) {
  return () => {
    const bj = new Date(Date.now() + aheadMs + 8 * 3600 * 1000).toISOString();
    return { now: `${bj.slice(0, 19)}+08:00`, today: bj.slice(0, 10), timezone: 'Asia/Shanghai' };
  };
}

// GET /me/data: the resident's own data, by section (a few records each).
const MY_DATA = {
  resident_id: 'u1',
  generated_at: '2030-01-01T09:00:00+08:00',
  notice: '本文件是政务服务中心保存的与您有关的全部个人信息的副本',
  sections: [
    { key: 'account', title: '账号与实名信息', count: 1, kept: true, on_cancel: '账号记录保留为注销标记', items: [{ id: 'u1' }] },
    { key: 'appointments', title: '预约记录', count: 2, kept: true, on_cancel: '尚未到来的预约自动取消并释放名额', items: [{ id: 'ap1' }, { id: 'ap2' }] },
    { key: 'payments', title: '缴费记录', count: 1, kept: true, on_cancel: '依法保留，仍可查验', items: [{ id: 'pay1' }] },
    { key: 'messages', title: '站内消息', count: 3, kept: false, on_cancel: '全部删除', items: [{ id: 'm1' }, { id: 'm2' }, { id: 'm3' }] },
    { key: 'waitlist', title: '候补登记', count: 0, kept: false, on_cancel: '全部结束并删除', items: [] },
  ],
};

function install(server) {
  server.on('GET', '/me/data', MY_DATA);
  server.on('GET', '/me/cancel', { can_cancel: true, reasons: [] });
  server.on('GET', '/time', serverTime());
  // The WeChat stand-in's face verification (sandbox mode): a passing verifyResult.
  server.on('POST', '/sandbox/wechat/face-verify', { verify_result: 'vr-sandbox' });
  server.on('GET', '/departments', { items: [{ id: 'dep1', code: 'ga', name: '公安局' }, { id: 'dep2', code: 'sb', name: '人社局' }], next_cursor: null });
  server.on('GET', '/life-events', { items: [LIFE_EVENT], next_cursor: null });
  server.on('GET', '/life-events/move', LIFE_EVENT);
  server.on('GET', '/bundles', { items: [BUNDLE], next_cursor: null });
  server.on('GET', '/bundles/b1', BUNDLE);
  server.on('GET', '/complaints', { items: [COMPLAINT], next_cursor: null });
  server.on('GET', '/complaints/q1', COMPLAINT);
  server.on('GET', '/me/authorizations', { items: [GRANT], next_cursor: null });
  server.on('GET', '/me/authorizations/received', { items: [RECEIVED], next_cursor: null });
  server.on('GET', '/me/identity-code', { code: 'ZJB1.abc.def', expires_at: '2030-01-01T00:01:00+08:00', valid_seconds: 60,
    qr_png_base64: 'UVJDT0RF' });
  server.on('GET', '/services', { items: [SERVICE], next_cursor: null });
  server.on('GET', '/services/svc1', SERVICE);
  server.on('GET', '/halls', { items: [HALL], next_cursor: null });
  server.on('GET', '/services/svc1/slots', { items: [slot('sl1', '09', 3), slot('sl2', '10', 0)], next_cursor: null,
    last_release_date: null });
  server.on('GET', '/appointments', { items: [APPOINTMENT], next_cursor: null });
  server.on('GET', '/appointments/ap1', APPOINTMENT);
  server.on('GET', '/me/waitlist', { items: [], next_cursor: null });
  server.on('GET', '/me', { id: 'u1', realname_verified: true, name_masked: '张*', id_number_masked: '1101**********002X' });
  server.on('GET', '/applications', { items: [CASE], next_cursor: null });
  server.on('GET', '/applications/c1', CASE);
  server.on('GET', '/payments', { items: [PAYMENT], next_cursor: null });
  server.on('GET', '/payments/pay1', PAYMENT);
  server.on('GET', '/receipts', { items: [RECEIPT], next_cursor: null });
  server.on('GET', '/receipts/r1', RECEIPT);
  server.on('GET', '/me/licences', { items: [LICENCE], next_cursor: null });
  server.on('GET', '/me/inbox', { items: [
    { id: 'm1', kind: 'case.status_changed', title: '办件已受理', text: '您的户口迁移已受理', body: '您的户口迁移已受理', read: false,
      created_at: '2024-05-06T10:00:00+08:00', ref: { application_id: 'c1' } },
  ], next_cursor: null, unread: 1 });
  server.on('GET', '/me/subscriptions', { templates: TEMPLATES, quota: {} });
}

const LICENCE = {
  id: 'lic9', type: 'business_licence', name: '营业执照（个体工商户）', number: 'YYZZ2026000001', holder_masked: '张*',
  issuer: '市市场监督管理局', issued_at: '2026-05-06T10:00:00+08:00', expires_at: null, status: 'valid',
  check_code: 'A1B2C3', source: 'issued', application_id: 'c1',
  verify_url: 'http://127.0.0.1:8000/api/v1/licences/verify?number=YYZZ2026000001&check=A1B2C3',
};

module.exports = {
  MY_DATA,
  install, serverTime, LICENCE, SERVICE, HALL, APPOINTMENT, CASE, PAYMENT, RECEIPT, TEMPLATES, slot, LIFE_EVENT, BUNDLE, COMPLAINT,
  GRANT, RECEIVED,
};
