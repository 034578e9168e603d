// What every BudgetStore implementation shares: the item's sort key (`<budget id>#<period key>`),
// the argument checks (amounts are non-negative safe integers; a bad one is a bug in the caller,
// never a budget decision) and how long ended periods are kept.
import type { BudgetKey, BudgetPeriod, BudgetPeriodRecord, BudgetSpec, BudgetStore } from '@switchyard/core';

export const budgetSortKey = (key: Pick<BudgetKey, 'budget' | 'period'>): string =>
  `${key.budget}#${key.period}`;

/** The budget id and period key of a sort key. */
export function parseBudgetSortKey(sortKey: string): { budget: string; period: string } {
  const at = sortKey.indexOf('#');
  if (at <= 0) throw new Error(`not a budget sort key: ${sortKey}`);
  return { budget: sortKey.slice(0, at), period: sortKey.slice(at + 1) };
}

/** Throws RangeError unless `value` is a safe integer >= `min`. */
export function assertBudgetAmount(name: string, value: number, min = 0): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  }
}

/** How long an ended period is kept before the table's TTL may delete it (seconds; none: kept). */
export const PERIOD_RETENTION_SECONDS: Readonly<Partial<Record<BudgetPeriod, number>>> = {
  minute: 86_400,
  day: 400 * 86_400,
};

/** A period's TTL (epoch seconds) from its budget id (`tokens-minute`), or undefined when it is kept. */
export function periodExpiresAt(budget: string, endsAt: number): number | undefined {
  const period = budget.slice(budget.lastIndexOf('-') + 1) as BudgetPeriod;
  const keep = PERIOD_RETENTION_SECONDS[period];
  return keep === undefined ? undefined : Math.ceil(endsAt / 1000) + keep;
}

/**
 * The period item of `key`, opened at `spec`'s limit if it does not exist yet, with a changed
 * limit applied when `revision` is newer than the item's (router leases and job holds alike).
 */
export async function syncPeriod(
  store: BudgetStore,
  key: BudgetKey,
  spec: BudgetSpec,
  window: { starts_at: number; ends_at: number },
  revision: number,
): Promise<BudgetPeriodRecord> {
  const record =
    (await store.getPeriod(key)) ??
    (await store.openPeriod({
      ...key,
      unit: spec.unit,
      limit: spec.limit,
      revision,
      starts_at: window.starts_at,
      ends_at: window.ends_at,
    }));
  if (record.limit === spec.limit || revision <= record.revision) return record;
  await store.setLimit(key, spec.limit, revision);
  return (await store.getPeriod(key)) ?? record;
}
