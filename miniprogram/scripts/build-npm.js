#!/usr/bin/env node
// Does what WeChat DevTools' 工具 → 构建 npm does for our one runtime dependency:
// copies node_modules/tdesign-miniprogram/miniprogram_dist to miniprogram_npm/tdesign-miniprogram.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const src = path.join(root, 'node_modules', 'tdesign-miniprogram', 'miniprogram_dist');
const dest = path.join(root, 'miniprogram_npm', 'tdesign-miniprogram');
if (!fs.existsSync(src)) {
  process.stderr.write('run `npm ci` first\n');
  process.exit(1);
}
fs.rmSync(dest, { recursive: true, force: true });
fs.mkdirSync(path.dirname(dest), { recursive: true });
fs.cpSync(src, dest, { recursive: true });
process.stdout.write(`built ${path.relative(root, dest)}\n`);
