// Charts drawn as SVG from numbers, each with a caption, a legend in words and the same
// numbers in a table (for screen readers and for reading exact values). Series take the
// palette's classes s0…s5 in order, or the one they name (`tone`); console.css colours them.
import { h } from './dom.js';

const ns = 'http://www.w3.org/2000/svg';
const width = 720;
const height = 180;
const left = 44;
const bottom = 22;

function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(ns, tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== null && value !== undefined) element.setAttribute(name, String(value));
  for (const child of children.flat(Infinity)) if (child) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

const tone = (line, index) => line.tone ?? `s${index % 6}`;

const hourLabel = (iso) => new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });

/** A round top for the axis: 1, 2 or 5 times a power of ten. */
function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((m) => m >= value);
}

function axes(hours, max, unit) {
  const plot = height - bottom;
  const ticks = Number.isInteger(max / 2) ? [0, max / 2, max] : [0, max];
  const step = Math.max(1, Math.ceil(hours.length / 8));
  return [
    ...ticks.map((t) => s('g', { class: 'tick' },
      s('line', { x1: left, x2: width, y1: plot - (t / max) * (plot - 8), y2: plot - (t / max) * (plot - 8) }),
      s('text', { x: left - 6, y: plot - (t / max) * (plot - 8) + 4, 'text-anchor': 'end' }, `${Math.round(t)}${unit}`))),
    ...hours.map((iso, i) => (i % step === 0 ? s('text', { class: 'hour', x: left + ((i + 0.5) * (width - left)) / hours.length, y: height - 6, 'text-anchor': 'middle' }, hourLabel(iso)) : null)),
  ];
}

function figure(id, title, svg, series, hours, unit) {
  const caption = h('figcaption', { id }, title);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-labelledby', id);
  const legend = h('ul', { class: 'legend' }, series.map((line, i) => h('li', {}, h('span', { class: `swatch ${tone(line, i)}`, 'aria-hidden': 'true' }), line.label)));
  const table = h('details', {}, h('summary', {}, 'The numbers'), h('div', { class: 'scroll' }, h('table', {},
    h('caption', { class: 'visually-hidden' }, title),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Hour'), series.map((line) => h('th', { scope: 'col' }, line.label)))),
    h('tbody', {}, hours.map((iso, i) => h('tr', {}, h('th', { scope: 'row' }, hourLabel(iso)),
      series.map((line) => h('td', {}, line.values[i] === null ? '—' : `${line.values[i]}${unit}`))))))));
  return h('figure', { class: 'chart' }, caption, svg, legend, table);
}

/** Bars per hour, the series stacked. `series`: [{ label, values: number[] }]. */
export function stackedBars(id, title, hours, series, empty) {
  if (series.length === 0) return h('figure', { class: 'chart' }, h('figcaption', {}, title), h('p', { class: 'help' }, empty));
  const totals = hours.map((_, i) => series.reduce((sum, line) => sum + line.values[i], 0));
  const max = niceMax(Math.max(...totals));
  const plot = height - bottom;
  const slot = (width - left) / hours.length;
  const bars = hours.map((iso, i) => {
    let y = plot;
    return series.map((line, k) => {
      const tall = (line.values[i] / max) * (plot - 8);
      y -= tall;
      return tall > 0 ? s('rect', { class: tone(line, k), x: left + i * slot + slot * 0.15, y, width: slot * 0.7, height: tall }, s('title', {}, `${hourLabel(iso)}: ${line.label} ${line.values[i]}`)) : null;
    });
  });
  return figure(id, title, s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'plot' }, axes(hours, max, ''), bars), series, hours, '');
}

/** Lines per series, a point per hour; null values leave a gap. `unit` follows each value. */
export function lines(id, title, hours, series, unit, empty) {
  if (series.length === 0) return h('figure', { class: 'chart' }, h('figcaption', {}, title), h('p', { class: 'help' }, empty));
  const max = niceMax(Math.max(1, ...series.flatMap((line) => line.values.filter((v) => v !== null))));
  const plot = height - bottom;
  const slot = (width - left) / hours.length;
  const at = (i, v) => `${left + (i + 0.5) * slot},${plot - (v / max) * (plot - 8)}`;
  const drawn = series.map((line, k) => {
    const runs = [];
    let run = [];
    line.values.forEach((v, i) => {
      if (v === null) { if (run.length) runs.push(run); run = []; } else run.push(at(i, v));
    });
    if (run.length) runs.push(run);
    return s('g', { class: `line ${tone(line, k)}` }, runs.map((points) => (points.length === 1
      ? s('circle', { cx: points[0].split(',')[0], cy: points[0].split(',')[1], r: 3 })
      : s('polyline', { points: points.join(' ') }))));
  });
  return figure(id, title, s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'plot' }, axes(hours, max, unit), drawn), series, hours, unit);
}
