/**
 * Line charts for the report: an SVG written here (a few dozen lines; no charting library renders
 * headless in Node without a browser or canvas) and rasterised to PNG by resvg.
 */
import { Resvg } from '@resvg/resvg-js';

export interface Series {
  name: string;
  points: [number, number][];
  dashed?: boolean;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  yMin?: number;
  yMax?: number;
  /** horizontal reference lines, e.g. published numbers */
  references?: { label: string; y: number }[];
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const W = 760;
const H = 420;
const M = { left: 60, right: 230, top: 40, bottom: 50 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function lineChartSvg(spec: ChartSpec): string {
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p[1])).concat((spec.references ?? []).map((r) => r.y));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs, xMin + 1);
  const yMin = spec.yMin ?? Math.min(...ys);
  const yMax = spec.yMax ?? Math.max(...ys, yMin + 1e-6);
  const px = (x: number) => M.left + ((x - xMin) / (xMax - xMin)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - ((y - yMin) / (yMax - yMin)) * (H - M.top - M.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W / 2 - M.right / 2}" y="22" text-anchor="middle" font-size="15">${esc(spec.title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const y = yMin + ((yMax - yMin) * i) / 5;
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`);
    parts.push(`<text x="${M.left - 6}" y="${py(y) + 4}" text-anchor="end">${y.toFixed(2)}</text>`);
    // integer x ticks when the axis counts epochs or steps
    const integral = xs.every(Number.isInteger);
    const x = integral ? Math.round(xMin + ((xMax - xMin) * i) / 5) : xMin + ((xMax - xMin) * i) / 5;
    parts.push(`<text x="${px(x)}" y="${H - M.bottom + 16}" text-anchor="middle">${integral ? x : x.toFixed(1)}</text>`);
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  (spec.references ?? []).forEach((r) => {
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py(r.y)}" y2="${py(r.y)}" stroke="#555" stroke-dasharray="2 3"/>`);
    parts.push(`<text x="${W - M.right - 4}" y="${py(r.y) - 4}" text-anchor="end" fill="#555">${esc(r.label)}</text>`);
  });
  spec.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const d = s.points.map(([x, y], j) => `${j ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    const ly = M.top + 10 + i * 18;
    parts.push(`<line x1="${W - M.right + 10}" x2="${W - M.right + 34}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    parts.push(`<text x="${W - M.right + 40}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export function lineChartPng(spec: ChartSpec): Uint8Array {
  return new Resvg(lineChartSvg(spec), { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
}
