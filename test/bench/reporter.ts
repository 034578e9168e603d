// Benchmark figures: printed as a table for people, or with `--json` as one JSON object per
// line (`{"name","unit","value",...detail}`) for tools. Also the small statistics helpers.

export interface Figure {
  name: string;
  unit: string;
  value: number;
  [detail: string]: unknown;
}

export class Reporter {
  readonly figures: Figure[] = [];
  constructor(private readonly json: boolean) {}

  report(figure: Figure): void {
    this.figures.push(figure);
    if (this.json) {
      process.stdout.write(`${JSON.stringify(figure)}\n`);
    } else {
      const { name, unit, value, ...detail } = figure;
      const extra = Object.keys(detail).length ? `  ${JSON.stringify(detail)}` : '';
      process.stdout.write(`${name.padEnd(56)} ${formatValue(value).padStart(14)} ${unit}${extra}\n`);
    }
  }

  section(title: string): void {
    if (!this.json) process.stdout.write(`\n## ${title}\n`);
  }
}

function formatValue(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);
}

/** The q-quantile (0..1) of samples, nearest-rank on a sorted copy. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx] as number;
}
