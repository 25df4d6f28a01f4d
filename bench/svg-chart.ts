/**
 * Line charts as standalone SVG for bench/results/REPORT.md (docs/decisions.md, "Benchmark report":
 * a few polylines with axes need no charting library). A `null` y breaks its line.
 */

export interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  x_label: string;
  x: number[];
  lines: { name: string; y: (number | null)[] }[];
}

const W = 760;
const H = 352;
const PAD = { left: 64, right: 16, top: 36, bottom: 72 };
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Round tick steps (1, 2, 5 × 10^n) covering [lo, hi] with about `count` ticks. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0];
  if (hi === lo) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  const end = Math.ceil(hi / step) * step;
  for (let t = Math.floor(lo / step) * step; t <= end + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

const label = (v: number): string => (Math.abs(v) >= 10_000 ? `${Number((v / 1000).toPrecision(4))}k` : String(Number(v.toPrecision(4))));

export function lineChart(c: ChartSpec): string {
  const ys = c.lines.flatMap((l) => l.y.filter((v): v is number => v !== null && Number.isFinite(v)));
  const xs = c.x.filter(Number.isFinite);
  const yTicks = niceTicks(Math.min(0, ...ys), ys.length ? Math.max(...ys) : 1);
  const xTicks = niceTicks(xs.length ? Math.min(...xs) : 0, xs.length ? Math.max(...xs) : 1, 8);
  const [y0, y1] = [yTicks[0]!, yTicks[yTicks.length - 1]!];
  const [x0, x1] = [xTicks[0]!, xTicks[xTicks.length - 1]!];
  const px = (x: number) => PAD.left + ((x - x0) / (x1 - x0 || 1)) * (W - PAD.left - PAD.right);
  const py = (y: number) => H - PAD.bottom - ((y - y0) / (y1 - y0 || 1)) * (H - PAD.top - PAD.bottom);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(c.title)}</text>`);
  for (const t of yTicks) {
    out.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${py(t)}" y2="${py(t)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${PAD.left - 6}" y="${py(t) + 4}" text-anchor="end">${label(t)}</text>`);
  }
  for (const t of xTicks) out.push(`<text x="${px(t)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${label(t)}</text>`);
  out.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${py(y0)}" y2="${py(y0)}" stroke="#888"/>`);
  out.push(`<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#888"/>`);
  out.push(`<text x="${W / 2}" y="${H - PAD.bottom + 34}" text-anchor="middle">${esc(c.x_label)}</text>`);
  out.push(`<text x="14" y="${(PAD.top + H - PAD.bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(PAD.top + H - PAD.bottom) / 2})">${esc(c.unit)}</text>`);
  c.lines.forEach((l, i) => {
    const color = COLORS[i % COLORS.length]!;
    let d = "";
    let pen = false;
    l.y.forEach((y, j) => {
      const x = c.x[j];
      if (y === null || x === undefined || !Number.isFinite(y) || !Number.isFinite(x)) {
        pen = false;
        return;
      }
      d += `${pen ? "L" : "M"}${px(x).toFixed(1)},${py(y).toFixed(1)}`;
      pen = true;
    });
    if (d) out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6"/>`);
    const lx = PAD.left + (i % 4) * 170;
    const ly = H - 14 + Math.floor(i / 4) * 13;
    out.push(`<rect x="${lx}" y="${ly - 9}" width="12" height="3" fill="${color}"/><text x="${lx + 16}" y="${ly - 5}">${esc(l.name)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
