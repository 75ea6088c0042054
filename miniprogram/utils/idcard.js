// Client-side checks of name and GB 11643-1999 ID number. The backend remains the authority.
const clock = require('./clock');

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

// A birth date after the server's today is refused.
function validateIdNumber(raw, today = new Date(clock.now())) {
  const value = String(raw || '').trim().toUpperCase();
  if (!value) return '请输入身份证号';
  if (!/^\d{17}[\dX]$/.test(value)) return '身份证号应为 18 位，最后一位可以是数字或 X';
  if (value[0] === '0') return '身份证号的地区码不正确';
  const y = Number(value.slice(6, 10));
  const m = Number(value.slice(10, 12));
  const d = Number(value.slice(12, 14));
  const birth = new Date(y, m - 1, d);
  if (y < 1900 || birth.getFullYear() !== y || birth.getMonth() !== m - 1 || birth.getDate() !== d
      || birth > today) {
    return '身份证号中的出生日期不正确';
  }
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += Number(value[i]) * WEIGHTS[i];
  if (CHECK[sum % 11] !== value[17]) return '身份证号校验位不正确，请核对';
  return '';
}

function validateName(raw) {
  // The katakana middle dot and the bullet are taken as the middle dot (·), as the server does.
  const value = String(raw || '').trim().replace(/[・•]/g, '·');
  if (!value) return '请输入姓名';
  const length = [...value].length;
  if (length < 2 || length > 30) return '姓名应为 2 到 30 个字';
  // Chinese characters (rare ones too), with the middle dot of minority names between them.
  if (!/^[\u3400-\u4dbf\u4e00-\u9fff\u{20000}-\u{3134f}]+(·[\u3400-\u4dbf\u4e00-\u9fff\u{20000}-\u{3134f}]+)*$/u.test(value)) {
    return '请输入与身份证一致的中文姓名';
  }
  return '';
}

module.exports = { validateIdNumber, validateName };
