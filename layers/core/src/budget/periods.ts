// Budget periods on the UTC calendar: the period key and window a timestamp falls in (minute,
// day, month; `total` is one window forever), and the id a budget spec is stored under.
import type { BudgetPeriod, BudgetSpec } from './budget.types.ts';

/** `ends_at` of a `total` budget: the largest epoch ms a Date can hold. */
export const NEVER = 8_640_000_000_000_000;

export interface PeriodWindow {
  key: string;
  /** Epoch ms, inclusive. */
  starts_at: number;
  /** Epoch ms, exclusive. */
  ends_at: number;
}

/** The window of `period` that `now` (epoch ms) falls in. */
export function periodWindow(period: BudgetPeriod, now: number): PeriodWindow {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  switch (period) {
    case 'minute': {
      const starts_at = Math.floor(now / 60_000) * 60_000;
      return {
        key: `${new Date(starts_at).toISOString().slice(0, 16)}Z`,
        starts_at,
        ends_at: starts_at + 60_000,
      };
    }
    case 'day': {
      const starts_at = Date.UTC(y, m, d.getUTCDate());
      return {
        key: new Date(starts_at).toISOString().slice(0, 10),
        starts_at,
        ends_at: starts_at + 86_400_000,
      };
    }
    case 'month': {
      const starts_at = Date.UTC(y, m, 1);
      return {
        key: new Date(starts_at).toISOString().slice(0, 7),
        starts_at,
        ends_at: Date.UTC(y, m + 1, 1),
      };
    }
    case 'total':
      return { key: 'total', starts_at: 0, ends_at: NEVER };
  }
}

/** The id a spec's periods are stored under: `usd-month`, `tokens-minute`, `requests-minute`, ... */
export function budgetId(spec: Pick<BudgetSpec, 'unit' | 'period'>): string {
  return `${spec.unit === 'usd_nanos' ? 'usd' : spec.unit}-${spec.period}`;
}
