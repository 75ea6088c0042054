// What the WeChat packer puts in the package, worked out offline: every file the app reaches from
// app.json (pages, sub-packages, tab bar icons, components, and through them every script, template,
// WXS module, style and image they name). Used by scripts/build-npm.js (copy only the TDesign files
// reached), scripts/build-release.js (the release copy) and test/package.test.js (the same checks
// as `ci.checkCodeQuality`: size limits and no unused files).
const fs = require('fs');
const path = require('path');

const PROJECT = path.resolve(__dirname, '..', '..');
const NPM = 'miniprogram_npm';
const TDESIGN = `${NPM}/tdesign-miniprogram`;
const TDESIGN_DIST = path.join(PROJECT, 'node_modules', 'tdesign-miniprogram', 'miniprogram_dist');

// WeChat's limits (bytes): every package (the main one and each sub-package) at most 2 MB, all of
// them together at most 20 MB; checkCodeQuality recommends the main package stay under 1.5 MB.
const LIMITS = { package: 2 * 1024 * 1024, total: 20 * 1024 * 1024, recommended: 1.5 * 1024 * 1024 };

const PAGE_EXTS = ['.js', '.json', '.wxml', '.wxss'];

// A source of package files: `has(rel)`, `read(rel)` (text), `size(rel)`. Package paths use '/'.
function dirSource(root, { tdesignFrom } = {}) {
  const abs = (rel) => (tdesignFrom && (rel === TDESIGN || rel.startsWith(`${TDESIGN}/`))
    ? path.join(tdesignFrom, rel.slice(TDESIGN.length)) : path.join(root, rel));
  return {
    abs,
    has: (rel) => { try { return fs.statSync(abs(rel)).isFile(); } catch (e) { return false; } },
    isDir: (rel) => { try { return fs.statSync(abs(rel)).isDirectory(); } catch (e) { return false; } },
    read: (rel) => fs.readFileSync(abs(rel), 'utf8'),
    size: (rel) => fs.statSync(abs(rel)).size,
  };
}

const norm = (p) => path.posix.normalize(p).replace(/^\/+/, '');

// Resolve `spec` written in file `from` ('/x' from the package root, './x' or '../x' from the file).
function relTo(from, spec) {
  return spec.startsWith('/') ? norm(spec) : norm(path.posix.join(path.posix.dirname(from), spec));
}

// A script's module: './x', '/x' or a bare npm name looked up in the nearest miniprogram_npm.
function resolveScript(src, from, spec) {
  const tries = (base) => [base, `${base}.js`, `${base}/index.js`].find((c) => src.has(c));
  if (spec.startsWith('.') || spec.startsWith('/')) return tries(relTo(from, spec));
  let dir = path.posix.dirname(from);
  for (;;) {
    const found = tries(norm(path.posix.join(dir, NPM, spec)));
    if (found) return found;
    if (dir === '.' || dir === '') return undefined;
    dir = path.posix.dirname(dir);
  }
}

// A component's path ('/components/x/index', '../icon/icon', 'tdesign-miniprogram/button/button').
function resolveComponent(src, from, spec) {
  let base = spec.startsWith('.') || spec.startsWith('/') ? relTo(from, spec) : `${NPM}/${spec}`;
  if (!src.has(`${base}.json`) && src.isDir(base)) base = `${base}/index`;
  return base;
}

const SCRIPT_REFS = [/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g, /\bfrom\s*["']([^"']+)["']/g, /\bimport\s*["']([^"']+)["']/g];
const WXML_REFS = /<(?:import|include|wxs)\b[^>]*\bsrc=["']([^"'{}]+)["']/g;
const WXML_STATIC = /\bsrc=["']([^"'{}]+\.(?:png|jpe?g|gif|svg|webp))["']/g;
const WXSS_REFS = [/@import\s+["']([^"']+)["']/g, /url\(\s*["']?([^"')]+?)["']?\s*\)/g];

const matches = (text, re) => Array.from(text.matchAll(re), (m) => m[1]);
const isRemote = (u) => /^(https?:|data:|\/\/)/.test(u);

// Every package file reached from app.json, with the problems met on the way (a page, component
// or module of the app itself that is named but missing).
function reach(src) {
  const seen = new Set();
  const problems = [];
  const queue = [];
  const need = (rel, why) => {
    if (seen.has(rel)) return;
    if (!src.has(rel)) {
      if (!rel.startsWith(`${NPM}/`)) problems.push(`${why}: ${rel} is missing`);
      return;
    }
    seen.add(rel);
    queue.push(rel);
  };
  const component = (base, why, required) => {
    if (required && !src.has(`${base}.json`)) problems.push(`${why}: component ${base} is missing`);
    PAGE_EXTS.forEach((ext) => { if (src.has(base + ext)) need(base + ext, why); });
  };

  const app = JSON.parse(src.read('app.json'));
  ['app.js', 'app.json', 'app.wxss', 'sitemap.json'].forEach((f) => need(f, 'app'));
  allPages(app).forEach((p) => PAGE_EXTS.forEach((ext) => need(p + ext, `page ${p}`)));
  ((app.tabBar && app.tabBar.list) || []).forEach((t) => {
    [t.iconPath, t.selectedIconPath].filter(Boolean).forEach((icon) => need(norm(icon), 'tab bar'));
  });

  while (queue.length) {
    const rel = queue.shift();
    const ext = path.posix.extname(rel);
    const text = ['.js', '.json', '.wxml', '.wxss', '.wxs'].includes(ext) ? src.read(rel) : '';
    const own = !rel.startsWith(`${NPM}/`);
    if (ext === '.json') {
      const json = JSON.parse(text);
      Object.values(json.usingComponents || {}).forEach((spec) => {
        if (!spec.startsWith('plugin://')) component(resolveComponent(src, rel, spec), rel, true);
      });
    } else if (ext === '.js' || ext === '.wxs') {
      SCRIPT_REFS.forEach((re) => matches(text, re).forEach((spec) => {
        const found = resolveScript(src, rel, spec);
        if (found) need(found, rel);
        else if (own) problems.push(`${rel}: module ${spec} is missing`);
      }));
    } else if (ext === '.wxml') {
      matches(text, WXML_REFS).forEach((spec) => need(relTo(rel, spec), rel));
      matches(text, WXML_STATIC).filter((u) => !isRemote(u)).forEach((spec) => need(relTo(rel, spec), rel));
    } else if (ext === '.wxss') {
      WXSS_REFS.forEach((re) => matches(text, re).filter((u) => !isRemote(u))
        .forEach((spec) => need(relTo(rel, spec), rel)));
    }
  }
  return { files: seen, problems };
}

// Every page path of app.json: the main package's and each sub-package's (root + page).
function allPages(app) {
  const subs = app.subPackages || app.subpackages || [];
  return [...app.pages, ...subs.flatMap((s) => s.pages.map((p) => `${s.root.replace(/\/+$/, '')}/${p}`))];
}

// Which package a file is in: a sub-package's root, or '' for the main package.
function packageOf(app, rel) {
  const subs = app.subPackages || app.subpackages || [];
  const sub = subs.find((s) => rel.startsWith(`${s.root.replace(/\/+$/, '')}/`));
  return sub ? sub.root.replace(/\/+$/, '') : '';
}

// Sizes by package of a set of files: { '': main, '<root>': ..., total }.
function sizes(src, app, files) {
  const out = { '': 0, total: 0 };
  (app.subPackages || app.subpackages || []).forEach((s) => { out[s.root.replace(/\/+$/, '')] = 0; });
  files.forEach((rel) => {
    const n = src.size(rel);
    out[packageOf(app, rel)] += n;
    out.total += n;
  });
  return out;
}

// Every file under `root` the packer would take: all of it but project.config.json's
// packOptions.ignore (folders and files, relative to the project) and dot-files.
function listFiles(root) {
  const config = JSON.parse(fs.readFileSync(path.join(root, 'project.config.json'), 'utf8'));
  const ignore = ((config.packOptions && config.packOptions.ignore) || []);
  const skipped = (rel, isDir) => ignore.some((i) => {
    const value = norm(i.value);
    if (i.type === 'folder') return rel === value || rel.startsWith(`${value}/`);
    if (i.type === 'file') return !isDir && rel === value;
    if (i.type === 'suffix') return !isDir && rel.endsWith(i.value);
    if (i.type === 'prefix') return path.posix.basename(rel).startsWith(i.value);
    return false;
  });
  const out = [];
  const walk = (rel) => {
    fs.readdirSync(path.join(root, rel), { withFileTypes: true }).forEach((d) => {
      const child = rel ? `${rel}/${d.name}` : d.name;
      if (d.name.startsWith('.') || skipped(child, d.isDirectory())) return;
      if (d.isDirectory()) walk(child);
      else if (d.isFile() || d.isSymbolicLink()) out.push(child);
    });
  };
  walk('');
  return out.filter((rel) => rel !== 'project.config.json' && rel !== 'project.private.config.json');
}

// The TDesign files the app reaches, read straight from node_modules (no miniprogram_npm needed).
function tdesignFiles(root = PROJECT) {
  const { files, problems } = reach(dirSource(root, { tdesignFrom: TDESIGN_DIST }));
  return { files: [...files].filter((rel) => rel.startsWith(`${TDESIGN}/`)), problems };
}

function copyFile(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}

module.exports = {
  PROJECT, TDESIGN, TDESIGN_DIST, LIMITS,
  dirSource, reach, allPages, packageOf, sizes, listFiles, tdesignFiles, copyFile,
};
