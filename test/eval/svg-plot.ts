// A small SVG writer for the eval report: a line chart (regret curves) and a scatter of
// cost–quality points, side by side, no dependencies.

export interface Series {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
  color: string;
}

export interface Point {
  name: string;
  x: number;
  y: number;
  color: string;
}

const W = 520;
const H = 360;
const M = { left: 64, right: 16, top: 36, bottom: 48 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmt = (v: number) =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toPrecision(2);

function axes(
  title: string,
  xLabel: string,
  yLabel: string,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
  dx: number,
): string {
  const px = (v: number) => dx + M.left + ((v - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const py = (v: number) => H - M.bottom - ((v - y0) / (y1 - y0 || 1)) * (H - M.top - M.bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return [
    `<text x="${dx + W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${px(x0)}" y1="${py(y0)}" x2="${px(x1)}" y2="${py(y0)}" stroke="#333"/>`,
    `<line x1="${px(x0)}" y1="${py(y0)}" x2="${px(x0)}" y2="${py(y1)}" stroke="#333"/>`,
    ...ticks.map((t) => {
      const xv = x0 + t * (x1 - x0);
      const yv = y0 + t * (y1 - y0);
      return (
        `<text x="${px(xv)}" y="${py(y0) + 16}" text-anchor="middle" font-size="10">${fmt(xv)}</text>` +
        `<text x="${px(x0) - 6}" y="${py(yv) + 3}" text-anchor="end" font-size="10">${fmt(yv)}</text>`
      );
    }),
    `<text x="${dx + W / 2}" y="${H - 10}" text-anchor="middle" font-size="11">${esc(xLabel)}</text>`,
    `<text x="${dx + 14}" y="${H / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 ${dx + 14} ${H / 2})">${esc(yLabel)}</text>`,
  ].join('\n');
}

function scale(dx: number, x0: number, x1: number, y0: number, y1: number) {
  return {
    px: (v: number) => dx + M.left + ((v - x0) / (x1 - x0 || 1)) * (W - M.left - M.right),
    py: (v: number) => H - M.bottom - ((v - y0) / (y1 - y0 || 1)) * (H - M.top - M.bottom),
  };
}

/** Two panels: `lines` (left) and `points` (right). */
export function plotSvg(
  left: { title: string; x: string; y: string; lines: readonly Series[] },
  right: { title: string; x: string; y: string; points: readonly Point[] },
): string {
  const all = left.lines.flatMap((s) => s.points);
  const lx1 = Math.max(1, ...all.map((p) => p[0]));
  const ly1 = Math.max(1e-9, ...all.map((p) => p[1]));
  const a = scale(0, 0, lx1, 0, ly1);
  const lines = left.lines.map((s, i) => {
    const d = s.points
      .map((p, j) => `${j ? 'L' : 'M'}${a.px(p[0]).toFixed(1)},${a.py(p[1]).toFixed(1)}`)
      .join('');
    return (
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>` +
      `<text x="${M.left + 10}" y="${M.top + 14 + i * 14}" font-size="11" fill="${s.color}">${esc(s.name)}</text>`
    );
  });
  const rx0 = 0;
  const rx1 = Math.max(...right.points.map((p) => p.x)) * 1.08;
  const ry0 = Math.max(0, Math.min(...right.points.map((p) => p.y)) - 0.05);
  const ry1 = Math.min(1, Math.max(...right.points.map((p) => p.y)) + 0.03);
  const b = scale(W, rx0, rx1, ry0, ry1);
  const dots = right.points.map(
    (p) =>
      `<circle cx="${b.px(p.x).toFixed(1)}" cy="${b.py(p.y).toFixed(1)}" r="5" fill="${p.color}"/>` +
      `<text x="${(b.px(p.x) + 7).toFixed(1)}" y="${(b.py(p.y) - 6).toFixed(1)}" font-size="10">${esc(p.name)}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H}" viewBox="0 0 ${2 * W} ${H}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    axes(left.title, left.x, left.y, 0, lx1, 0, ly1, 0),
    ...lines,
    axes(right.title, right.x, right.y, rx0, rx1, ry0, ry1, W),
    ...dots,
    '</svg>',
  ].join('\n');
}
