const { validateIdNumber, validateName } = require('../utils/idcard');
const fmt = require('../utils/format');

describe('GB 11643 ID number', () => {
  test('accepts the standard test vector, with lower-case x too', () => {
    expect(validateIdNumber('11010519491231002X')).toBe('');
    expect(validateIdNumber('11010519491231002x')).toBe('');
  });
  test('rejects a wrong check character', () => {
    expect(validateIdNumber('110105194912310021')).toMatch('校验位');
  });
  test('rejects impossible or future birth dates', () => {
    expect(validateIdNumber('110105194902300023')).toMatch('出生日期');
    expect(validateIdNumber('110105209901010000', new Date(2024, 0, 1))).toMatch('出生日期');
  });
  test('rejects wrong length and characters', () => {
    expect(validateIdNumber('')).toMatch('请输入');
    expect(validateIdNumber('1101051949123100')).toMatch('18 位');
    expect(validateIdNumber('11010519491231002Y')).toMatch('18 位');
  });
});

describe('names', () => {
  test('accepts Chinese names including the middle dot', () => {
    expect(validateName('张三')).toBe('');
    expect(validateName('买买提·艾力')).toBe('');
    expect(validateName('买买提・艾力')).toBe('');
    expect(validateName('买买提•艾力')).toBe('');
    expect(validateName('𠮷野家')).toBe('');
  });
  test('rejects empty, too short, latin', () => {
    expect(validateName('')).toMatch('请输入');
    expect(validateName('张')).toMatch('2 到 30');
    expect(validateName('Zhang San')).toMatch('中文姓名');
    expect(validateName('张·')).toMatch('中文姓名');
    expect(validateName('王'.repeat(31))).toMatch('2 到 30');
  });
});

describe('format', () => {
  test('money in fen, Beijing time regardless of offset', () => {
    expect(fmt.money(1050)).toBe('¥10.50');
    expect(fmt.money(0)).toBe('¥0.00');
    expect(fmt.dateTime('2024-05-06T01:00:00Z')).toBe('2024-05-06 09:00');
    expect(fmt.time('2024-05-06T23:30:00+08:00')).toBe('23:30');
    expect(fmt.date('bad')).toBe('');
  });
  test('next days start today, Beijing', () => {
    const days = fmt.nextDays(3, Date.parse('2024-05-05T18:00:00Z'));
    expect(days.map((d) => d.value)).toEqual(['2024-05-06', '2024-05-07', '2024-05-08']);
    expect(days[0].week).toBe('今天');
  });
  test('unknown status shows itself', () => {
    expect(fmt.statusOf(fmt.CASE_STATUS, 'mystery').text).toBe('mystery');
  });
});
