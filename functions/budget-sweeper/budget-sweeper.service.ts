// The budget sweeper (scheduled): for every open budget period, settles each lease that has
// expired (`expires_at <= now`) at its full amount, because its router is gone (crashed, timed
// out, frozen) and what it used is unknown: counting all of it as spent is the side that never
// lets a budget be exceeded. Then it closes periods that have ended and hold no lease. Every
// write is conditional, so a second sweep, or a router returning the lease at the same moment,
// changes nothing twice.
import type { BudgetKey, BudgetStore, BudgetUnit } from '@switchyard/core';

export interface SweepDeps {
  store: BudgetStore;
  now: () => number;
  /** Periods processed at once. @default 8 */
  concurrency?: number;
}

export interface SweepSummary {
  periods: number;
  settled_leases: number;
  /** Sum of the settled leases' amounts, per unit. */
  settled: Record<BudgetUnit, number>;
  closed: number;
  failed: number;
}

/** One sweep. Failures of single periods are counted (and the last one thrown after the rest ran). */
export async function sweepBudgets(deps: SweepDeps): Promise<SweepSummary> {
  const now = deps.now();
  const keys = await deps.store.listOpen();
  const summary: SweepSummary = {
    periods: keys.length,
    settled_leases: 0,
    settled: { usd_nanos: 0, tokens: 0, requests: 0 },
    closed: 0,
    failed: 0,
  };
  let lastError: unknown;
  const queue = [...keys];
  const worker = async () => {
    for (let key = queue.shift(); key; key = queue.shift()) {
      try {
        await sweepPeriod(deps.store, key, now, summary);
      } catch (err) {
        summary.failed++;
        lastError = err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, deps.concurrency ?? 8) }, worker));
  if (lastError !== undefined) {
    throw new Error(`budget sweep: ${summary.failed} of ${summary.periods} periods failed`, {
      cause: lastError,
    });
  }
  return summary;
}

async function sweepPeriod(store: BudgetStore, key: BudgetKey, now: number, summary: SweepSummary) {
  const record = await store.getPeriod(key);
  if (!record) return;
  let left = 0;
  for (const [id, lease] of Object.entries(record.leases)) {
    if (lease.expires_at <= now && (await store.settleExpired(key, id, lease.amount, now))) {
      summary.settled_leases++;
      summary.settled[record.unit] += lease.amount;
    } else {
      left++;
    }
  }
  if (record.ends_at <= now && left === 0 && (await store.closePeriod(key, now))) summary.closed++;
}
