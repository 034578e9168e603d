// The contract every BudgetStore keeps, run by the in-memory store (unit) and the DynamoDB adapter
// against dynalite (integration, real SDK client): the same conditional semantics case by case.
// Boundaries are literal: a lease (or top-up) of exactly what is available is taken and one
// micro-dollar more is not; a lease expires at exactly `expires_at`; returns, top-ups and sweeps
// happen at most once.
import type { BudgetPeriodInit, BudgetPeriodRecord, BudgetStore } from '@switchyard/core';
import { describe, expect, it } from 'vitest';

let seq = 0;
/** A period of a fresh tenant (stores may be shared between cases). */
function period(limit = 1000, over: Partial<BudgetPeriodInit> = {}): BudgetPeriodInit {
  return {
    tenant: `t${++seq}-${Math.random().toString(36).slice(2, 8)}`,
    budget: 'usd-month',
    period: '2026-11',
    unit: 'usd_nanos',
    limit,
    revision: 0,
    starts_at: 1_793_491_200_000, // 2026-11-01T00:00:00Z
    ends_at: 1_796_083_200_000, // 2026-12-01T00:00:00Z
    ...over,
  };
}

const lease = (amount: number, expires_at = 2_000_000_000_000, holder = 'c1') => ({
  amount,
  expires_at,
  holder,
});

/** The money of a period, compared whole (toMatchObject would take `leases: {}` for any leases). */
const money = (r: BudgetPeriodRecord | undefined) =>
  r && { spent: r.spent, available: r.available, leases: r.leases };

const outstanding = (r: BudgetPeriodRecord) => Object.values(r.leases).reduce((s, l) => s + l.amount, 0);

export function budgetStoreContract(name: string, makeStore: () => BudgetStore): void {
  describe(`BudgetStore contract: ${name}`, () => {
    it('creates a period on first use; later opens, even with another limit, get the first one', async () => {
      const store = makeStore();
      const p = period(1000);
      expect(await store.getPeriod(p)).toBeUndefined();
      const created = await store.openPeriod(p);
      expect(created).toEqual({ ...p, spent: 0, available: 1000, leases: {}, open: true });
      expect(await store.openPeriod({ ...p, limit: 5000 })).toEqual(created);
      expect(await store.getPeriod(p)).toEqual(created);
    });

    it('concurrent first uses agree on one period', async () => {
      const store = makeStore();
      const p = period(1000);
      const opened = await Promise.all(
        [1, 2, 3, 4, 5].map((i) => store.openPeriod({ ...p, limit: i * 100 })),
      );
      expect(new Set(opened.map((r) => r.limit)).size).toBe(1);
      expect((await store.getPeriod(p))?.limit).toBe(opened[0]?.limit);
    });

    it('a lease of exactly what is available is taken; one unit more is refused', async () => {
      const store = makeStore();
      const p = period(1000);
      expect(await store.lease(p, 'x', lease(1))).toEqual({ ok: false, reason: 'missing' });
      await store.openPeriod(p);
      expect(await store.lease(p, 'a', lease(400))).toEqual({ ok: true, available: 600, leases: 1 });
      const refused = await store.lease(p, 'b', lease(601));
      expect(refused).toMatchObject({
        ok: false,
        reason: 'insufficient',
        record: { available: 600, spent: 0 },
      });
      expect(await store.lease(p, 'b', lease(600))).toEqual({ ok: true, available: 0, leases: 2 });
      const r = await store.getPeriod(p);
      expect(r?.leases).toEqual({ a: lease(400), b: lease(600) });
      expect(r?.available).toBe(0);
    });

    it('a lease id is taken once: the second lease under it changes nothing', async () => {
      const store = makeStore();
      const p = period(1000);
      await store.openPeriod(p);
      await store.lease(p, 'a', lease(100));
      const again = await store.lease(p, 'a', lease(50, 1, 'c2'));
      expect(again).toMatchObject({ ok: false, reason: 'exists', record: { available: 900 } });
      expect((await store.getPeriod(p))?.leases).toEqual({ a: lease(100) });
    });

    it('returning a lease moves the used part to spent and the rest back, once', async () => {
      const store = makeStore();
      const p = period(1000);
      await store.openPeriod(p);
      await store.lease(p, 'a', lease(300));
      expect(await store.returnLease(p, 'a', 299, 100)).toBe(false); // not the leased amount
      expect(await store.returnLease(p, 'a', 300, 120)).toBe(true);
      expect(money(await store.getPeriod(p))).toEqual({ spent: 120, available: 880, leases: {} });
      expect(await store.returnLease(p, 'a', 300, 120)).toBe(false);
      expect(await store.returnLease(p, 'never', 300, 0)).toBe(false);
      await expect(
        store.topUpLease(p, 'x', { amount: 1, used: -1, more: 0, expires_at: 1, now: 0 }),
      ).rejects.toThrow(RangeError);
      expect(money(await store.getPeriod(p))).toEqual({ spent: 120, available: 880, leases: {} });
    });

    it('a request that cost more than its lease is charged in full (available may go negative)', async () => {
      const store = makeStore();
      const p = period(1000);
      await store.openPeriod(p);
      await store.lease(p, 'a', lease(1000));
      expect(await store.returnLease(p, 'a', 1000, 1003)).toBe(true);
      expect(await store.getPeriod(p)).toMatchObject({ spent: 1003, available: -3 });
      expect(await store.lease(p, 'b', lease(1))).toMatchObject({ ok: false, reason: 'insufficient' });
    });

    it('the sweeper settles a lease at its full amount from exactly expires_at on, once', async () => {
      const store = makeStore();
      const p = period(1000);
      await store.openPeriod(p);
      await store.lease(p, 'a', lease(250, 5_000));
      expect(await store.settleExpired(p, 'a', 250, 4_999)).toBe(false);
      expect(await store.settleExpired(p, 'a', 249, 5_000)).toBe(false);
      expect(await store.settleExpired(p, 'a', 250, 5_000)).toBe(true);
      expect(money(await store.getPeriod(p))).toEqual({ spent: 250, available: 750, leases: {} });
      expect(await store.settleExpired(p, 'a', 250, 6_000)).toBe(false);
      // ...and the router that comes back late finds it settled.
      expect(await store.returnLease(p, 'a', 250, 10)).toBe(false);
      expect(await store.getPeriod(p)).toMatchObject({ spent: 250, available: 750 });
    });

    it('a returned lease is not swept', async () => {
      const store = makeStore();
      const p = period(1000);
      await store.openPeriod(p);
      await store.lease(p, 'a', lease(250, 5_000));
      expect(await store.returnLease(p, 'a', 250, 0)).toBe(true);
      expect(await store.settleExpired(p, 'a', 250, 9_000)).toBe(false);
      expect(await store.getPeriod(p)).toMatchObject({ spent: 0, available: 1000 });
    });

    it('tops up a lease: settled spend to spent, more from available, a new expiry; once per stored amount', async () => {
      const store = makeStore();
      const p = period(1000);
      await store.openPeriod(p);
      await store.lease(p, 'a', lease(300, 5_000));
      const change = { amount: 300, used: 120, more: 200, expires_at: 9_000, now: 4_999 };
      expect(await store.topUpLease(p, 'a', change)).toEqual({ ok: true, available: 500, leases: 1 });
      expect(money(await store.getPeriod(p))).toEqual({
        spent: 120,
        available: 500,
        leases: { a: lease(380, 9_000) },
      });
      // The same write again (a retry after a lost answer) finds another amount: nothing changes.
      expect(await store.topUpLease(p, 'a', change)).toMatchObject({ ok: false, reason: 'gone' });
      expect(await store.topUpLease(p, 'missing', { ...change, amount: 380 })).toMatchObject({
        ok: false,
        reason: 'gone',
      });
      expect(money(await store.getPeriod(p))).toEqual({
        spent: 120,
        available: 500,
        leases: { a: lease(380, 9_000) },
      });
    });

    it('a top-up of exactly what is available is taken; one unit more is refused and changes nothing', async () => {
      const store = makeStore();
      const p = period(1000);
      await store.openPeriod(p);
      await store.lease(p, 'a', lease(400, 5_000));
      const refused = await store.topUpLease(p, 'a', {
        amount: 400,
        used: 10,
        more: 601,
        expires_at: 9_000,
        now: 0,
      });
      expect(refused).toMatchObject({
        ok: false,
        reason: 'insufficient',
        record: { available: 600, spent: 0 },
      });
      expect((await store.getPeriod(p))?.leases.a).toEqual(lease(400, 5_000));
      const taken = await store.topUpLease(p, 'a', {
        amount: 400,
        used: 10,
        more: 600,
        expires_at: 9_000,
        now: 0,
      });
      expect(taken).toEqual({ ok: true, available: 0, leases: 1 });
      expect(money(await store.getPeriod(p))).toEqual({
        spent: 10,
        available: 0,
        leases: { a: lease(990, 9_000) },
      });
    });

    it('renews a lease only before it expires; a renewal needs nothing from available', async () => {
      const store = makeStore();
      const p = period(1000);
      await store.openPeriod(p);
      await store.lease(p, 'a', lease(1000, 5_000));
      const renew = { amount: 1000, used: 0, more: 0, expires_at: 9_000 };
      expect(await store.topUpLease(p, 'a', { ...renew, now: 5_000 })).toMatchObject({
        ok: false,
        reason: 'gone',
      });
      expect(await store.topUpLease(p, 'a', { ...renew, now: 4_999 })).toEqual({
        ok: true,
        available: 0,
        leases: 1,
      });
      expect(await store.settleExpired(p, 'a', 1000, 8_999)).toBe(false);
      expect(await store.settleExpired(p, 'a', 1000, 9_000)).toBe(true);
    });

    it('counts the leases on the item', async () => {
      const store = makeStore();
      const p = period(1000);
      await store.openPeriod(p);
      expect(await store.lease(p, 'a', lease(1))).toEqual({ ok: true, available: 999, leases: 1 });
      expect(await store.lease(p, 'b', lease(1))).toEqual({ ok: true, available: 998, leases: 2 });
      await store.returnLease(p, 'a', 1, 0);
      expect(await store.lease(p, 'c', lease(1, 10))).toEqual({ ok: true, available: 998, leases: 2 });
      await store.settleExpired(p, 'c', 1, 10);
      expect(await store.lease(p, 'd', lease(1))).toEqual({ ok: true, available: 997, leases: 2 });
    });

    it('a newer revision replaces the limit and moves available by the difference', async () => {
      const store = makeStore();
      const p = period(1000);
      await store.openPeriod(p);
      await store.lease(p, 'a', lease(700));
      expect(await store.setLimit(p, 5000, 0)).toBe(false);
      expect(await store.setLimit(p, 1500, 3)).toBe(true);
      expect(await store.getPeriod(p)).toMatchObject({ limit: 1500, revision: 3, available: 800 });
      expect(await store.setLimit(p, 9000, 2)).toBe(false);
      // Lowered below what is leased: nothing more can be leased until leases come back.
      expect(await store.setLimit(p, 500, 4)).toBe(true);
      expect(await store.getPeriod(p)).toMatchObject({ limit: 500, available: -200 });
      expect(await store.lease(p, 'b', lease(1))).toMatchObject({ ok: false, reason: 'insufficient' });
      expect(await store.setLimit(period(), 1, 9)).toBe(false); // no such period
    });

    it('closes a period only once it ended and holds no lease; closed periods leave the open list', async () => {
      const store = makeStore();
      const p = period(1000, { ends_at: 10_000 });
      await store.openPeriod(p);
      await store.lease(p, 'a', lease(10, 20_000));
      const openKeys = async () => (await store.listOpen()).filter((k) => k.tenant === p.tenant);
      expect(await openKeys()).toEqual([{ tenant: p.tenant, budget: 'usd-month', period: '2026-11' }]);
      expect(await store.closePeriod(p, 9_999)).toBe(false);
      expect(await store.closePeriod(p, 10_000)).toBe(false); // a lease is outstanding
      await store.returnLease(p, 'a', 10, 4);
      expect(await store.closePeriod(p, 9_999)).toBe(false);
      expect(await store.closePeriod(p, 10_000)).toBe(true);
      expect(await store.closePeriod(p, 10_000)).toBe(false);
      expect(await openKeys()).toEqual([]);
      expect(await store.getPeriod(p)).toMatchObject({ open: false, spent: 4 });
    });

    it("lists a tenant's periods", async () => {
      const store = makeStore();
      const p = period(1000);
      await store.openPeriod(p);
      await store.openPeriod({
        ...p,
        budget: 'tokens-minute',
        unit: 'tokens',
        period: '2026-11-24T10:31Z',
        limit: 9,
      });
      await store.openPeriod(period(5));
      const listed = await store.listPeriods(p.tenant);
      expect(listed.map((r) => [r.budget, r.period, r.limit])).toEqual([
        ['tokens-minute', '2026-11-24T10:31Z', 9],
        ['usd-month', '2026-11', 1000],
      ]);
    });

    it('concurrent leases never take more than is available', async () => {
      const store = makeStore();
      const p = period(1000);
      await store.openPeriod(p);
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.lease(p, `l${i}`, lease(100, 1, `c${i}`))),
      );
      expect(outcomes.filter((o) => o.ok)).toHaveLength(10);
      const r = (await store.getPeriod(p)) as BudgetPeriodRecord;
      expect(r.available).toBe(0);
      expect(Object.keys(r.leases)).toHaveLength(10);
      expect(r.spent + outstanding(r) + r.available).toBe(r.limit);
    });

    it('refuses amounts that are not non-negative integers', async () => {
      const store = makeStore();
      const p = period(1000);
      await store.openPeriod(p);
      for (const bad of [0, -1, 1.5, Number.NaN]) {
        await expect(store.lease(p, 'a', lease(bad))).rejects.toThrow(RangeError);
      }
      await store.lease(p, 'a', lease(10));
      await expect(store.returnLease(p, 'a', 10, -1)).rejects.toThrow(RangeError);
      await expect(store.openPeriod(period(-5))).rejects.toThrow(RangeError);
      expect((await store.getPeriod(p))?.available).toBe(990);
    });
  });
}
