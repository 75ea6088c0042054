// Charts drawn to scale in inline SVG (no chart library): bars start at zero on an axis with tick
// values, each bar carries its value, and every chart has a Chinese summary for screen readers
// (role="img", aria-label) and its numbers as a table beside it.
//
// A chart is { title, categories: [label], series: [{ name, cls, values: [number|null] }], top?,
// step?, format? }: one group of bars per category, one bar per series. `top` fixes the axis end
// (5 for satisfaction); otherwise it is the largest value rounded up to a tidy number.
import { h, table } from '../../ui.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const COUNT = (v) => `${v}`;

export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** The axis: its end (`top`) and ticks from 0, every `step` (1, 2 or 5 × 10ⁿ; whole for counts). */
export function scale(values, { top, step } = {}) {
  if (top) return { top, ticks: ticksOf(top, step || top / 5) };
  const max = Math.max(0, ...values.filter((v) => typeof v === 'number'));
  const raw = Math.max(max, 1) / 5;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const s = Math.max(1, [1, 2, 5, 10].map((m) => m * pow).find((m) => m >= raw));
  const end = Math.max(s, Math.ceil(max / s) * s);
  return { top: end, ticks: ticksOf(end, s) };
}

function ticksOf(top, step) {
  const out = [];
  for (let i = 0; i * step <= top + 1e-9; i += 1) out.push(Math.round(i * step * 100) / 100);
  return out;
}

const shown = (chart, v) => (typeof v === 'number' ? (chart.format || COUNT)(v) : '无数据');

/** The chart's numbers in words, for its aria-label. */
function spoken(chart) {
  const rows = chart.categories.map((c, i) => `${c}：${chart.series.map((s) => `${s.name}${shown(chart, s.values[i])}`).join('，')}`);
  return `${chart.title}（刻度 0 至 ${(chart.format || COUNT)(chart.axis.top)}）。${rows.join('；')}`;
}

/** The chart's numbers as a table (the accessible alternative), folded under the chart. */
function dataTable(chart) {
  const columns = [{ label: chart.categoryName || '类别', render: (r) => r.label },
    ...chart.series.map((s) => ({ label: s.name, render: (r) => shown(chart, s.values[r.i]) }))];
  const rows = chart.categories.map((label, i) => ({ label, i }));
  return h('details', { class: 'chart-data' }, h('summary', {}, `数据表：${chart.title}`),
    table(columns, rows, { caption: chart.title }));
}

function legend(chart) {
  if (chart.series.length < 2) return null;
  return h('ul', { class: 'chart-legend' }, chart.series.map((s) => h('li', {},
    h('span', { class: `swatch s-${s.cls}`, 'aria-hidden': 'true' }), s.name)));
}

function figure(chart, drawing) {
  drawing.setAttribute('role', 'img');
  drawing.setAttribute('aria-label', spoken(chart));
  drawing.dataset.top = String(chart.axis.top);
  return h('figure', { class: 'chart-figure', dataset: { chart: chart.key || '' } },
    h('figcaption', {}, chart.title), drawing, legend(chart), dataTable(chart));
}

/** One bar with its value: `along` is the bar's length in pixels, drawn from the axis. */
function bar(chart, s, v, rect) {
  return svg('rect', { class: `bar s-${s.cls}`, ...rect, 'data-value': typeof v === 'number' ? v : '',
    'data-series': s.name });
}

/** Horizontal bars: one row per category (departments), its series' bars under each other. */
export function hBarChart(spec) {
  const chart = { ...spec, axis: scale(spec.series.flatMap((s) => s.values), spec) };
  const barH = chart.series.length > 1 ? 14 : 20;
  const groupH = chart.series.length * barH + 10;
  const [left, plotW, top] = [150, 360, 6];
  const height = top + chart.categories.length * groupH + 24;
  const x = (v) => left + (Math.max(0, v) / chart.axis.top) * plotW;
  const g = svg('svg', { class: 'chart', width: left + plotW + 80, height, viewBox: `0 0 ${left + plotW + 80} ${height}` });
  const axisY = height - 20;
  chart.axis.ticks.forEach((t) => g.append(
    svg('line', { class: 'grid', x1: x(t), x2: x(t), y1: top, y2: axisY }),
    svg('text', { class: 'tick', x: x(t), y: axisY + 14, 'text-anchor': 'middle' }, (chart.format || COUNT)(t))));
  g.append(svg('line', { class: 'axis', x1: left, x2: left + plotW, y1: axisY, y2: axisY }));
  chart.categories.forEach((c, i) => {
    const y0 = top + i * groupH + 4;
    g.append(svg('text', { x: left - 6, y: y0 + (groupH - 10) / 2 + 4, 'text-anchor': 'end' }, c));
    chart.series.forEach((s, j) => {
      const v = s.values[i];
      const y = y0 + j * barH;
      g.append(bar(chart, s, v, { x: left, y, width: typeof v === 'number' ? x(v) - left : 0, height: barH - 3 }),
        svg('text', { class: 'value', x: (typeof v === 'number' ? x(v) : left) + 4, y: y + barH - 5 }, shown(chart, v)));
    });
  });
  return figure(chart, g);
}

/** Where the columns of a vertical chart go: the width of a group and which labels fit. */
function columns(chart) {
  const n = Math.max(1, chart.categories.length);
  const groupW = Math.max(10, Math.min(72, 860 / n));
  const barW = Math.max(3, (groupW - 8) / chart.series.length);
  return { groupW, barW, every: Math.ceil(56 / groupW), valued: barW >= 16 };
}

/** Vertical columns: one group per period (day or week), its series side by side. */
export function columnChart(spec) {
  const chart = { ...spec, axis: scale(spec.series.flatMap((s) => s.values), spec) };
  const { groupW, barW, every, valued } = columns(chart);
  const [left, top, plotH] = [48, 18, 180];
  const width = left + chart.categories.length * groupW + 10;
  const axisY = top + plotH;
  const y = (v) => axisY - (Math.max(0, v) / chart.axis.top) * plotH;
  const g = svg('svg', { class: 'chart', width, height: axisY + 26, viewBox: `0 0 ${width} ${axisY + 26}` });
  chart.axis.ticks.forEach((t) => g.append(
    svg('line', { class: 'grid', x1: left, x2: width - 10, y1: y(t), y2: y(t) }),
    svg('text', { class: 'tick', x: left - 6, y: y(t) + 4, 'text-anchor': 'end' }, (chart.format || COUNT)(t))));
  g.append(svg('line', { class: 'axis', x1: left, x2: width - 10, y1: axisY, y2: axisY }));
  chart.categories.forEach((c, i) => {
    const x0 = left + i * groupW + 4;
    if (i % every === 0) g.append(svg('text', { x: x0 + (groupW - 8) / 2, y: axisY + 16, 'text-anchor': 'middle' }, c));
    chart.series.forEach((s, j) => {
      const v = s.values[i];
      const x = x0 + j * barW;
      g.append(bar(chart, s, v, { x, y: typeof v === 'number' ? y(v) : axisY, width: barW - 2,
        height: typeof v === 'number' ? axisY - y(v) : 0 }));
      if (valued) g.append(svg('text', { class: 'value', x: x + (barW - 2) / 2, y: (typeof v === 'number' ? y(v) : axisY) - 3, 'text-anchor': 'middle' }, shown(chart, v)));
    });
  });
  return figure(chart, g);
}
