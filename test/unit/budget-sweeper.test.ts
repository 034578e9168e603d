// The budget sweeper over the in-memory store: settles leases at their full amount from exactly
// expires_at on (not a millisecond before), closes ended periods once no lease is left, does
// nothing twice, and one failing period neither stops the others nor goes unreported.
import { MemoryBudgetStore } from '@switchyard/adapters';
import type { BudgetPeriodInit } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { sweepBudgets } from '../../functions/budget-sweeper/budget-sweeper.service.ts';
import { interceptStore } from '../support/budget-store.intercept.ts';

const MONTH: BudgetPeriodInit = {
  tenant: 'acme',
  budget: 'usd-month',
  period: '2026-11',
  unit: 'usd_nanos',
  limit: 1_000_000,
  revision: 0,
  starts_at: 1_793_491_200_000,
  ends_at: 1_796_083_200_000,
};
const MINUTE: BudgetPeriodInit = {
  tenant: 'acme',
  budget: 'tokens-minute',
  period: '2026-11-24T10:31Z',
  unit: 'tokens',
  limit: 10_000,
  revision: 0,
  starts_at: 1_795_516_260_000,
  ends_at: 1_795_516_320_000,
};
const lease = (amount: number, expires_at: number) => ({ amount, expires_at, holder: 'dead' });

describe('sweepBudgets', () => {
  it('settles expired leases at their full amount from exactly expires_at on, once', async () => {
    const store = new MemoryBudgetStore();
    await store.openPeriod(MONTH);
    await store.lease(MONTH, 'a', lease(5_000, 1_795_516_300_000));
    await store.lease(MONTH, 'b', lease(7_000, 1_795_516_400_000));
    const early = await sweepBudgets({ store, now: () => 1_795_516_299_999 });
    expect(early).toEqual({
      periods: 1,
      settled_leases: 0,
      settled: { usd_nanos: 0, tokens: 0, requests: 0 },
      closed: 0,
      failed: 0,
    });
    const due = await sweepBudgets({ store, now: () => 1_795_516_300_000 });
    expect(due).toMatchObject({ settled_leases: 1, settled: { usd_nanos: 5_000, tokens: 0 }, closed: 0 });
    const r = await store.getPeriod(MONTH);
    expect(r?.spent).toBe(5_000);
    expect(r?.available).toBe(988_000);
    expect(Object.keys(r?.leases ?? {})).toEqual(['b']);
    expect((await sweepBudgets({ store, now: () => 1_795_516_300_000 })).settled_leases).toBe(0);
    expect((await store.getPeriod(MONTH))?.spent).toBe(5_000);
  });

  it('closes an ended period once its leases are settled; an open lease keeps it open', async () => {
    const store = new MemoryBudgetStore();
    await store.openPeriod(MINUTE);
    await store.openPeriod(MONTH);
    await store.lease(MINUTE, 'a', lease(900, 1_795_516_350_000));
    // The minute ended, but its lease runs until 10:32:30.
    expect(await sweepBudgets({ store, now: () => 1_795_516_320_000 })).toMatchObject({
      periods: 2,
      settled_leases: 0,
      closed: 0,
    });
    expect(await sweepBudgets({ store, now: () => 1_795_516_350_000 })).toMatchObject({
      periods: 2,
      settled_leases: 1,
      settled: { usd_nanos: 0, tokens: 900 },
      closed: 1,
    });
    expect(await store.listOpen()).toEqual([{ tenant: 'acme', budget: 'usd-month', period: '2026-11' }]);
    expect((await store.getPeriod(MINUTE))?.spent).toBe(900);
    expect((await sweepBudgets({ store, now: () => 1_795_516_350_000 })).periods).toBe(1);
  });

  it('an ended period without leases closes at exactly its end', async () => {
    const store = new MemoryBudgetStore();
    await store.openPeriod(MINUTE);
    expect((await sweepBudgets({ store, now: () => 1_795_516_319_999 })).closed).toBe(0);
    expect((await sweepBudgets({ store, now: () => 1_795_516_320_000 })).closed).toBe(1);
  });

  it('one failing period does not stop the others, and the sweep reports it', async () => {
    const inner = new MemoryBudgetStore();
    await inner.openPeriod(MONTH);
    await inner.openPeriod({ ...MONTH, tenant: 'other' });
    await inner.lease(MONTH, 'a', lease(1, 10));
    await inner.lease({ ...MONTH, tenant: 'other' }, 'a', lease(2, 10));
    const store = interceptStore(inner, async (method, args, call) => {
      if (method === 'getPeriod' && (args[0] as { tenant: string }).tenant === 'acme')
        throw new Error('throttled');
      return call();
    });
    await expect(sweepBudgets({ store, now: () => 10 })).rejects.toThrow(
      'budget sweep: 1 of 2 periods failed',
    );
    expect((await inner.getPeriod({ ...MONTH, tenant: 'other' }))?.spent).toBe(2);
    expect((await inner.getPeriod(MONTH))?.spent).toBe(0);
  });
});
