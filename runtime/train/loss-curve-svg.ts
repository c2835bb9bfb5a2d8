/**
 * The loss curve of a run as a standalone SVG: training loss per step and validation loss per
 * evaluation against the step, with ticked and labelled axes, a legend and the model name.
 * Plain text, no Node APIs: browsers can show it as is.
 */
import type { LossHistory } from './train-state.js';

const WIDTH = 720;
const HEIGHT = 420;
const MARGIN = { left: 72, right: 24, top: 44, bottom: 56 };
const TRAIN_COLOR = '#1f77b4';
const VAL_COLOR = '#d62728';

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Round numbers (1, 2 or 5 × 10^k apart) covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

function extent(values: readonly number[]): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (lo === hi) return [lo - Math.max(0.5, Math.abs(lo) * 0.05), hi + Math.max(0.5, Math.abs(hi) * 0.05)];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

function fmt(n: number): string {
  return Number(n.toFixed(2)).toString();
}

export function lossCurveSvg(title: string, history: LossHistory): string {
  const points = [...history.train, ...history.val].filter(([, loss]) => Number.isFinite(loss));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  const plot = { x0: MARGIN.left, x1: WIDTH - MARGIN.right, y0: HEIGHT - MARGIN.bottom, y1: MARGIN.top };
  if (points.length === 0) {
    out.push(`<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle">no finite losses recorded</text>`, '</svg>');
    return `${out.join('\n')}\n`;
  }
  const steps = points.map(([s]) => s);
  const xMin = Math.min(0, ...steps);
  const xMax = Math.max(...steps, xMin + 1);
  const [yMin, yMax] = extent(points.map(([, l]) => l));
  const x = (s: number) => plot.x0 + ((s - xMin) / (xMax - xMin)) * (plot.x1 - plot.x0);
  const y = (l: number) => plot.y0 - ((l - yMin) / (yMax - yMin)) * (plot.y0 - plot.y1);

  for (const t of niceTicks(xMin, xMax, 8)) {
    out.push(
      `<line x1="${fmt(x(t))}" y1="${plot.y1}" x2="${fmt(x(t))}" y2="${plot.y0 + 5}" stroke="#ddd"/>`,
      `<text x="${fmt(x(t))}" y="${plot.y0 + 18}" text-anchor="middle">${t}</text>`,
    );
  }
  for (const t of niceTicks(yMin, yMax, 6)) {
    out.push(
      `<line x1="${plot.x0 - 5}" y1="${fmt(y(t))}" x2="${plot.x1}" y2="${fmt(y(t))}" stroke="#ddd"/>`,
      `<text x="${plot.x0 - 8}" y="${fmt(y(t) + 4)}" text-anchor="end">${t}</text>`,
    );
  }
  out.push(
    `<line x1="${plot.x0}" y1="${plot.y0}" x2="${plot.x1}" y2="${plot.y0}" stroke="black"/>`,
    `<line x1="${plot.x0}" y1="${plot.y0}" x2="${plot.x0}" y2="${plot.y1}" stroke="black"/>`,
    `<text x="${(plot.x0 + plot.x1) / 2}" y="${HEIGHT - 14}" text-anchor="middle">step</text>`,
    `<text transform="translate(18 ${(plot.y0 + plot.y1) / 2}) rotate(-90)" text-anchor="middle">loss (nats per token)</text>`,
  );
  const series = [
    { name: 'train', color: TRAIN_COLOR, data: history.train },
    { name: 'validation', color: VAL_COLOR, data: history.val },
  ].filter((s) => s.data.length > 0);
  for (const s of series) {
    const finite = s.data.filter(([, l]) => Number.isFinite(l));
    const coords = finite.map(([st, l]) => `${fmt(x(st))},${fmt(y(l))}`).join(' ');
    out.push(`<polyline class="${s.name}" fill="none" stroke="${s.color}" stroke-width="1.5" points="${coords}"/>`);
    if (s.name === 'validation' || finite.length === 1) {
      for (const [st, l] of finite) out.push(`<circle cx="${fmt(x(st))}" cy="${fmt(y(l))}" r="3" fill="${s.color}"/>`);
    }
  }
  series.forEach((s, i) => {
    const ly = plot.y1 + 8 + i * 18;
    out.push(
      `<line x1="${plot.x1 - 110}" y1="${ly}" x2="${plot.x1 - 86}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`,
      `<text x="${plot.x1 - 80}" y="${ly + 4}">${s.name}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
