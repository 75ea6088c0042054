// Canned backend answers shaped like the contract / plan, installed on the fake server.
const SERVICE = {
  id: 'svc1', code: 'hukou', name: '户口迁移', department_id: 'dep1', department_name: '公安局',
  hall_ids: ['hall1'], life_events: ['move'], frequent: true, status: 'active',
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
  id: 'r1', payment_id: 'pay1', code: '33010124', number: '0000012345', check_code: 'a1b2c3', amount_fen: 1050,
  payer_masked: '张*', issued_at: '2024-05-06T09:05:00+08:00', items: [{ name: '工本费', amount_fen: 1000 }],
};

const TEMPLATES = [
  { key: 'appointment_reminder', template_id: 'tpl-a', title: '预约提醒' },
  { key: 'case_progress', template_id: 'tpl-b', title: '办件进度' },
  { key: 'payment_notice', template_id: 'tpl-c', title: '缴费通知' },
];

function install(server) {
  server.on('GET', '/departments', { items: [{ id: 'dep1', code: 'ga', name: '公安局' }, { id: 'dep2', code: 'sb', name: '人社局' }], next_cursor: null });
  server.on('GET', '/life-events', { items: [{ key: 'move', name: '我要迁户口', service_ids: ['svc1'] }], next_cursor: null });
  server.on('GET', '/services', { items: [SERVICE], next_cursor: null });
  server.on('GET', '/services/svc1', SERVICE);
  server.on('GET', '/halls', { items: [HALL], next_cursor: null });
  server.on('GET', '/services/svc1/slots', { items: [slot('sl1', '09', 3), slot('sl2', '10', 0)] });
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
    { id: 'm1', title: '办件已受理', body: '您的户口迁移已受理', read: false, created_at: '2024-05-06T10:00:00+08:00', link: '/pages/case/detail/index?id=c1' },
  ], next_cursor: null });
  server.on('GET', '/me/subscriptions', { templates: TEMPLATES, quota: {} });
}

const LICENCE = {
  id: 'lic9', type: 'business_licence', name: '营业执照（个体工商户）', number: 'YYZZ2026000001', holder_masked: '张*',
  issuer: '市市场监督管理局', issued_at: '2026-05-06T10:00:00+08:00', expires_at: null, status: 'valid',
  check_code: 'A1B2C3', source: 'issued', application_id: 'c1',
  verify_url: 'http://127.0.0.1:8000/api/v1/licences/verify?number=YYZZ2026000001&check=A1B2C3',
};

module.exports = { install, LICENCE, SERVICE, HALL, APPOINTMENT, CASE, PAYMENT, RECEIPT, TEMPLATES, slot };
