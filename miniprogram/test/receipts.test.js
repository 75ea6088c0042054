// Receipts after refunds: a voided receipt says so, a partly refunded one shows what went back,
// and a red-letter receipt shows its negative amount and the receipt it reverses.
const fx = require('./fixtures');

const { server, renderPage, text, login } = T;

const VOIDED = { ...fx.RECEIPT, kind: 'blue', status: 'voided', refunded_fen: 1050 };
const PARTLY = { ...fx.RECEIPT, id: 'r2', number: '0000012346', kind: 'blue', status: 'partially_refunded', refunded_fen: 300 };
const RED = {
  ...fx.RECEIPT, id: 'r3', number: '0000012347', kind: 'red', status: 'issued', refunded_fen: 0, amount_fen: -1050,
  items: [{ name: '工本费', amount_fen: -1000 }, { name: '快递费', amount_fen: -50 }],
  original: { id: 'r1', code: '33010124', number: '0000012345' },
};

beforeEach(() => {
  fx.install(server);
  login();
});

test('a voided receipt is shown as voided, not as a receipt to use', async () => {
  server.on('GET', '/receipts/r1', VOIDED);
  const t = text(await renderPage('receipt/detail', { id: 'r1' }));
  expect(t).toContain('已作废');
  expect(t).toContain('已被红字票据冲销，不能再用于报销');
  expect(t).toContain('¥10.50');
});

test('a valid receipt carries no warning', async () => {
  server.on('GET', '/receipts/r1', { ...fx.RECEIPT, kind: 'blue', status: 'issued', refunded_fen: 0 });
  const t = text(await renderPage('receipt/detail', { id: 'r1' }));
  expect(t).not.toContain('已作废');
  expect(t).not.toContain('退款');
});

test('a partly refunded receipt shows the refunded amount', async () => {
  server.on('GET', '/receipts/r2', PARTLY);
  const t = text(await renderPage('receipt/detail', { id: 'r2' }));
  expect(t).toContain('已部分退款 ¥3.00');
  expect(t).not.toContain('已作废');
});

test('a red-letter receipt shows its negative amount and the receipt it reverses', async () => {
  server.on('GET', '/receipts/r3', RED);
  const t = text(await renderPage('receipt/detail', { id: 'r3' }));
  expect(t).toContain('政务服务电子票据（红字）');
  expect(t).toContain('-¥10.50');
  expect(t).toContain('-¥10.00');
  expect(t).toContain('33010124-0000012345');
});

test('the list marks voided receipts and red-letter receipts', async () => {
  server.on('GET', '/receipts', { items: [RED, PARTLY, VOIDED], next_cursor: null });
  const page = await renderPage('receipt/list');
  const t = text(page);
  expect(t).toContain('红字票据：工本费');
  expect(t).toContain('已作废');
  expect(t).toContain('部分退款');
  expect(t).toContain('-¥10.50');
});
