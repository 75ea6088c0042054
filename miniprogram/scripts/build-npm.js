#!/usr/bin/env node
// Builds miniprogram_npm/tdesign-miniprogram with only the TDesign files the app uses: the
// components named in app.json and the pages' and components' usingComponents, and everything they
// reach in turn (their own components, scripts, WXS, templates, styles, tslib). DevTools'
// 工具 → 构建 npm copies all of TDesign's 1,100+ files instead, which the upload check reports as
// unused code and counts against the package size, so use this script (`npm run build:npm`).
//   node scripts/build-npm.js [project folder]   (default: this project)
const fs = require('fs');
const path = require('path');
const pkg = require('./lib/package');

function buildNpm(root = pkg.PROJECT) {
  if (!fs.existsSync(pkg.TDESIGN_DIST)) throw new Error('run `npm ci` first');
  const { files, problems } = pkg.tdesignFiles(root);
  if (problems.length) throw new Error(problems.join('\n'));
  const dest = path.join(root, pkg.TDESIGN);
  fs.rmSync(dest, { recursive: true, force: true });
  files.forEach((rel) => pkg.copyFile(path.join(pkg.TDESIGN_DIST, rel.slice(pkg.TDESIGN.length)), path.join(root, rel)));
  return files;
}

if (require.main === module) {
  try {
    const root = path.resolve(process.argv[2] || pkg.PROJECT);
    const files = buildNpm(root);
    process.stdout.write(`built ${path.relative(root, path.join(root, pkg.TDESIGN))}: ${files.length} files\n`);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}

module.exports = { buildNpm };
