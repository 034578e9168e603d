// The in-container lease manager over the in-memory store, with fake timers: one store write
// leases room for several requests, concurrent reservations in one process are exact, idle and
// expiring leases go back on their timers at their exact times, running requests keep their
// lease alive, periods roll over, a newer budget spec replaces the limit, refusals say why and
// cost no store write while they hold, and an unreachable store is a 503, never a free pass.
import {
  BudgetLeases,
  type BudgetLeasesOptions,
  type BudgetReservation,
  MemoryBudgetStore,
  type ReserveResult,
} from '@switchyard/adapters';
import {
  type BudgetKey,
  type BudgetPeriodRecord,
  type BudgetSpec,
  type BudgetStore,
  BudgetUnavailableError,
  budgetRefusalError,
} from '@switchyard/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sweepBudgets } from '../../../functions/budget-sweeper/budget-sweeper.service.ts';
import { interceptStore } from '../../support/budget-store.intercept.ts';

const T0 = Date.parse('2026-11-24T10:31:00.000Z');
const MONTH: BudgetSpec = { unit: 'usd_nanos', period: 'month', limit: 100_000_000 };
const KEY: BudgetKey = { tenant: 'acme', budget: 'usd-month', period: '2026-11' };

/** The store, with every call it received (method names) and an optional failure injector. */
function recorded(inner = new MemoryBudgetStore()) {
  const calls: string[] = [];
  let fail: ((method: string) => 'before' | 'after' | undefined) | undefined;
  const store = interceptStore(inner, async (method, _args, call) => {
    calls.push(method);
    const mode = fail?.(method);
    if (mode === 'before') throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    const result = await call();
    if (mode === 'after') throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    return result;
  });
  const writes = () => calls.filter((c) => !['getPeriod', 'listOpen', 'listPeriods'].includes(c));
  return {
    inner,
    store,
    calls,
    writes,
    failWith: (f: typeof fail) => {
      fail = f;
    },
  };
}

function manager(store: BudgetStore, options: Partial<BudgetLeasesOptions> = {}) {
  return new BudgetLeases({ store, holder: 'c1', ...options });
}

function reserved(r: ReserveResult): BudgetReservation {
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r;
}

const period = async (store: MemoryBudgetStore, key: BudgetKey = KEY) => store.getPeriod(key);
/** The money of a period, compared whole (toMatchObject would take `leases: {}` for any leases). */
const money = (r: BudgetPeriodRecord | undefined) =>
  r && { spent: r.spent, available: r.available, leases: r.leases };

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('BudgetLeases: leasing', () => {
  it('the first request opens the period and leases room for 8 of its size; the next 7 cost no write; then it tops up', async () => {
    const s = recorded();
    const leases = manager(s.store);
    const first = reserved(await leases.reserve('acme', MONTH, 1_000));
    expect(s.calls).toEqual(['getPeriod', 'openPeriod', 'lease']);
    expect(first).toMatchObject({ tenant: 'acme', budget: 'usd-month', period: '2026-11', amount: 1_000 });
    expect(await period(s.inner)).toMatchObject({
      limit: 100_000_000,
      available: 99_992_000,
      leases: { 'c1.1': { amount: 8_000, expires_at: T0 + 60_000, holder: 'c1' } },
    });
    for (let i = 0; i < 7; i++) reserved(await leases.reserve('acme', MONTH, 1_000)).settle(1_000);
    expect(s.writes()).toEqual(['openPeriod', 'lease']);
    // The ninth tops the same lease up, and moves what was settled so far to spent.
    const ninth = reserved(await leases.reserve('acme', MONTH, 1_000));
    expect(ninth.lease_id).toBe('c1.1');
    expect(s.writes()).toEqual(['openPeriod', 'lease', 'topUpLease']);
    const r = await period(s.inner);
    expect(Object.keys(r?.leases ?? {})).toEqual(['c1.1']);
    expect(r?.spent).toBe(7_000);
    expect(r?.leases['c1.1']?.expires_at).toBe(T0 + 60_000);
    expect((r?.leases['c1.1']?.amount ?? 0) + (r?.available ?? 0) + (r?.spent ?? 0)).toBe(100_000_000);
  });

  it('concurrent reservations wait for one lease write at a time and never exceed what was leased', async () => {
    const s = recorded();
    const leases = manager(s.store);
    const results = await Promise.all(Array.from({ length: 50 }, () => leases.reserve('acme', MONTH, 1_000)));
    expect(results.every((r) => r.ok)).toBe(true);
    const held = leases.leases();
    const leased = held.reduce((sum, l) => sum + l.amount, 0);
    const inFlight = held.reduce((sum, l) => sum + l.reserved, 0);
    expect(inFlight).toBe(50_000);
    expect(leased).toBeGreaterThanOrEqual(50_000);
    expect(held).toHaveLength(1);
    expect(s.writes().filter((w) => w === 'lease' || w === 'topUpLease').length).toBeLessThanOrEqual(3);
    const r = await period(s.inner);
    expect((r?.available ?? 0) + leased).toBe(100_000_000);
  });

  it('a reservation of exactly what is left succeeds; one micro-dollar more is refused', async () => {
    const s = recorded();
    const spec = { ...MONTH, limit: 1_000 };
    const leases = manager(s.store);
    const tooMuch = await leases.reserve('acme', spec, 1_001);
    expect(tooMuch).toMatchObject({ ok: false, reason: 'exceeds-limit', limit: 1_000, requested: 1_001 });
    reserved(await leases.reserve('acme', spec, 1_000));
    expect(await period(s.inner)).toMatchObject({ available: 0 });

    const other = manager(s.store, { holder: 'c2' });
    const fresh = recorded();
    const exact = manager(fresh.store);
    const r1 = reserved(await exact.reserve('acme', spec, 400));
    r1.settle(400);
    await exact.flush();
    expect(await period(fresh.inner)).toMatchObject({ spent: 400, available: 600 });
    const over = await exact.reserve('acme', spec, 601);
    expect(over).toMatchObject({ ok: false, reason: 'exhausted', unspent: 600 });
    expect(reserved(await exact.reserve('acme', spec, 600)).amount).toBe(600);
    expect(await other.reserve('acme', spec, 1)).toMatchObject({ ok: false, reason: 'held' });
  });

  it('settle and release count once; the lease goes back with the sum of actual costs', async () => {
    const s = recorded();
    const leases = manager(s.store);
    const a = reserved(await leases.reserve('acme', MONTH, 1_000));
    const b = reserved(await leases.reserve('acme', MONTH, 1_000));
    const c = reserved(await leases.reserve('acme', MONTH, 1_000));
    expect(a.settle(250)).toBe(true);
    expect(a.settle(999)).toBe(false);
    expect(a.release()).toBe(false);
    expect(b.release()).toBe(true);
    expect(b.settle(5)).toBe(false);
    expect(c.settle(1_300)).toBe(true); // costlier than its reservation: charged in full
    await leases.flush();
    expect(money(await period(s.inner))).toEqual({ spent: 1_550, available: 99_998_450, leases: {} });
    expect(() => a.settle(-1)).toThrow(RangeError);
  });

  it('a zero-cost reservation needs no lease; a cost settled on it rides on the next return', async () => {
    const s = recorded();
    const leases = manager(s.store);
    const zero = reserved(await leases.reserve('acme', MONTH, 0));
    expect(zero.lease_id).toBeUndefined();
    expect(s.writes()).toEqual([]);
    zero.settle(7);
    const r = reserved(await leases.reserve('acme', MONTH, 100));
    r.settle(100);
    await leases.flush();
    expect((await period(s.inner))?.spent).toBe(107);
  });

  it('refuses amounts that are not non-negative integers', async () => {
    const leases = manager(new MemoryBudgetStore());
    await expect(leases.reserve('acme', MONTH, -1)).rejects.toThrow(RangeError);
    await expect(leases.reserve('acme', MONTH, 0.5)).rejects.toThrow(RangeError);
  });
});

describe('BudgetLeases: timers', () => {
  it('returns an unused lease exactly 2 s after its last use', async () => {
    const s = recorded();
    const leases = manager(s.store);
    reserved(await leases.reserve('acme', MONTH, 1_000)).settle(600);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(Object.keys((await period(s.inner))?.leases ?? {})).toEqual(['c1.1']);
    await vi.advanceTimersByTimeAsync(1);
    expect(money(await period(s.inner))).toEqual({ spent: 600, available: 99_999_400, leases: {} });
  });

  it('renews a lease in use 30 s before it expires, moving settled spend to spent', async () => {
    const s = recorded();
    const leases = manager(s.store);
    const running = reserved(await leases.reserve('acme', MONTH, 1_000));
    reserved(await leases.reserve('acme', MONTH, 1_000)).settle(300);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(await period(s.inner)).toMatchObject({
      spent: 0,
      leases: { 'c1.1': { expires_at: T0 + 60_000 } },
    });
    await vi.advanceTimersByTimeAsync(1);
    expect(money(await period(s.inner))).toEqual({
      spent: 300,
      available: 99_992_000,
      leases: { 'c1.1': { amount: 7_700, expires_at: T0 + 90_000, holder: 'c1' } },
    });
    // The request still runs: the lease takes new reservations, and is the same one.
    expect(reserved(await leases.reserve('acme', MONTH, 1_000)).lease_id).toBe('c1.1');
    running.settle(1_000);
  });

  it('a long request keeps its lease alive past every expiry, so the sweeper leaves it alone', async () => {
    const s = recorded();
    const leases = manager(s.store);
    const stream = reserved(await leases.reserve('acme', MONTH, 1_000));
    await vi.advanceTimersByTimeAsync(100_000);
    expect((await period(s.inner))?.leases['c1.1']?.expires_at).toBe(T0 + 150_000);
    const swept = await sweepBudgets({ store: s.store, now: () => Date.now() });
    expect(swept.settled_leases).toBe(0);
    stream.settle(700);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(money(await period(s.inner))).toEqual({ spent: 700, available: 99_999_300, leases: {} });
  });

  it('a top-up whose answer was lost is found applied in the store and adopted: nothing is counted twice', async () => {
    const s = recorded();
    const leases = manager(s.store);
    for (let i = 0; i < 8; i++) reserved(await leases.reserve('acme', MONTH, 1_000)).settle(1_000);
    s.failWith((m) => (m === 'topUpLease' ? 'after' : undefined));
    await expect(leases.reserve('acme', MONTH, 1_000)).rejects.toBeInstanceOf(BudgetUnavailableError);
    s.failWith(undefined);
    const stored = (await period(s.inner))?.leases['c1.1'];
    expect(leases.leases()).toEqual([
      { id: 'c1.1', key: KEY, amount: stored?.amount, reserved: 0, used: 0, state: 'active' },
    ]);
    reserved(await leases.reserve('acme', MONTH, 1_000)).settle(100);
    await leases.flush();
    expect(money(await period(s.inner))).toEqual({ spent: 8_100, available: 99_991_900, leases: {} });
  });

  it('a top-up that failed before it applied leaves the lease as it was', async () => {
    const s = recorded();
    const leases = manager(s.store);
    for (let i = 0; i < 8; i++) reserved(await leases.reserve('acme', MONTH, 1_000)).settle(1_000);
    s.failWith((m) => (m === 'topUpLease' ? 'before' : undefined));
    await expect(leases.reserve('acme', MONTH, 1_000)).rejects.toBeInstanceOf(BudgetUnavailableError);
    s.failWith(undefined);
    expect(leases.leases()).toEqual([
      { id: 'c1.1', key: KEY, amount: 8_000, reserved: 0, used: 8_000, state: 'active' },
    ]);
    reserved(await leases.reserve('acme', MONTH, 1_000)).settle(100);
    await leases.flush();
    expect(money(await period(s.inner))).toEqual({ spent: 8_100, available: 99_991_900, leases: {} });
  });

  it('a dead container leaves its lease to the sweeper, which settles it at the full amount from expires_at on', async () => {
    const s = recorded();
    const leases = manager(s.store);
    reserved(await leases.reserve('acme', MONTH, 1_000)).settle(10);
    leases.stop(); // crashed: its timers never fire
    vi.setSystemTime(T0 + 59_999);
    expect((await sweepBudgets({ store: s.store, now: () => Date.now() })).settled_leases).toBe(0);
    vi.setSystemTime(T0 + 60_000);
    expect(await sweepBudgets({ store: s.store, now: () => Date.now() })).toMatchObject({
      settled_leases: 1,
      settled: { usd_nanos: 8_000, tokens: 0 },
    });
    expect(money(await period(s.inner))).toEqual({ spent: 8_000, available: 99_992_000, leases: {} });
  });

  it('rolls over to the next minute of a tokens-per-minute limit; the old lease goes back', async () => {
    const s = recorded();
    const leases = manager(s.store);
    const tpm: BudgetSpec = { unit: 'tokens', period: 'minute', limit: 10_000 };
    vi.setSystemTime(T0 + 59_999);
    const old = reserved(await leases.reserve('acme', tpm, 1_000));
    expect(old.period).toBe('2026-11-24T10:31Z');
    old.settle(300);
    await vi.advanceTimersByTimeAsync(1);
    const next = reserved(await leases.reserve('acme', tpm, 1_000));
    expect(next.period).toBe('2026-11-24T10:32Z');
    await vi.advanceTimersByTimeAsync(0);
    const minutes = await s.inner.listPeriods('acme');
    expect(minutes.map((m) => [m.period, m.spent, Object.keys(m.leases).length])).toEqual([
      ['2026-11-24T10:31Z', 300, 0],
      ['2026-11-24T10:32Z', 0, 1],
    ]);
  });
});

describe('BudgetLeases: limits and refusals', () => {
  it('a spec with a newer revision replaces the stored limit; an older one does not', async () => {
    const s = recorded();
    const leases = manager(s.store);
    reserved(await leases.reserve('acme', { ...MONTH, limit: 1_000, revision: 1 }, 100));
    reserved(await leases.reserve('acme', { ...MONTH, limit: 3_000, revision: 2 }, 1_500));
    expect(await period(s.inner)).toMatchObject({ limit: 3_000, revision: 2 });
    const other = manager(s.store, { holder: 'c2' });
    await other.reserve('acme', { ...MONTH, limit: 9_000, revision: 1 }, 100);
    expect(await period(s.inner)).toMatchObject({ limit: 3_000, revision: 2 });
  });

  it('remembers a held refusal for 1 s and an exhausted one for the period: no store write meanwhile', async () => {
    const s = recorded();
    const spec = { ...MONTH, limit: 10_000 };
    const holder = manager(s.store, { holder: 'c2' });
    reserved(await holder.reserve('acme', spec, 9_000)); // leased 9,000... of 10,000
    const leases = manager(s.store);
    expect(await leases.reserve('acme', spec, 5_000)).toMatchObject({ ok: false, reason: 'held' });
    const before = s.writes().length;
    expect(await leases.reserve('acme', spec, 5_000)).toMatchObject({ ok: false, reason: 'held' });
    await vi.advanceTimersByTimeAsync(999);
    expect(await leases.reserve('acme', spec, 5_000)).toMatchObject({ ok: false, reason: 'held' });
    expect(s.writes().length).toBe(before);
    await vi.advanceTimersByTimeAsync(1);
    await leases.reserve('acme', spec, 5_000);
    expect(s.writes().length).toBe(before + 1);
    // Smaller requests that fit what is left are still tried.
    expect(reserved(await leases.reserve('acme', spec, 1_000)).amount).toBe(1_000);

    const exhausted = await leases.reserve('acme', spec, 20_000);
    expect(exhausted).toMatchObject({ ok: false, reason: 'exceeds-limit' });
  });

  it('an exhausted budget is refused from memory until the period resets, with the reset time', async () => {
    const s = recorded();
    const spec = { ...MONTH, limit: 1_000 };
    const leases = manager(s.store);
    reserved(await leases.reserve('acme', spec, 1_000)).settle(1_000);
    await leases.flush();
    const refusal = await leases.reserve('acme', spec, 1);
    expect(refusal).toMatchObject({
      ok: false,
      reason: 'exhausted',
      resets_at: Date.parse('2026-12-01T00:00:00Z'),
    });
    const writes = s.writes().length;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await leases.reserve('acme', spec, 1)).toMatchObject({ ok: false, reason: 'exhausted' });
    expect(s.writes().length).toBe(writes);
    if (refusal.ok) throw new Error('unreachable');
    const err = budgetRefusalError(refusal);
    expect(err.status).toBe(429);
    expect(err.code).toBe('insufficient_quota');
    // A higher limit (a newer spec) lifts it at once.
    expect((await leases.reserve('acme', { ...spec, limit: 2_000, revision: 1 }, 1)).ok).toBe(true);
  });

  it('an unreachable store is a 503 (never a free pass); a lease write that landed unseen is given back', async () => {
    const s = recorded();
    const leases = manager(s.store);
    s.failWith((m) => (m === 'getPeriod' ? 'before' : undefined));
    await expect(leases.reserve('acme', MONTH, 1_000)).rejects.toBeInstanceOf(BudgetUnavailableError);
    s.failWith((m) => (m === 'lease' ? 'after' : undefined));
    const err = await leases.reserve('acme', MONTH, 1_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetUnavailableError);
    expect((err as BudgetUnavailableError).status).toBe(503);
    s.failWith(undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(money(await period(s.inner))).toEqual({ spent: 0, available: 100_000_000, leases: {} });
    expect(reserved(await leases.reserve('acme', MONTH, 1_000)).amount).toBe(1_000);
  });

  it('retries a failed return until the store answers', async () => {
    const s = recorded();
    const leases = manager(s.store);
    reserved(await leases.reserve('acme', MONTH, 1_000)).settle(42);
    s.failWith((m) => (m === 'returnLease' ? 'before' : undefined));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(Object.keys((await period(s.inner))?.leases ?? {})).toEqual(['c1.1']);
    s.failWith(undefined);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(money(await period(s.inner))).toEqual({ spent: 42, available: 99_999_958, leases: {} });
  });
});

describe('BudgetLeases: several budgets and what is left', () => {
  it('reserveAll takes every budget or none', async () => {
    const s = recorded();
    const leases = manager(s.store);
    const tpm: BudgetSpec = { unit: 'tokens', period: 'minute', limit: 1_000 };
    const refused = await leases.reserveAll('acme', [
      { spec: MONTH, amount: 5_000 },
      { spec: tpm, amount: 1_001 },
    ]);
    expect(refused).toMatchObject({ ok: false, reason: 'exceeds-limit', unit: 'tokens' });
    expect(leases.leases().reduce((sum, l) => sum + l.reserved, 0)).toBe(0);
    const both = await leases.reserveAll('acme', [
      { spec: MONTH, amount: 5_000 },
      { spec: tpm, amount: 900 },
    ]);
    if (!both.ok) throw new Error('refused');
    both.settle([1_234, 321]);
    await leases.flush();
    const spent = (await s.inner.listPeriods('acme')).map((p) => [p.budget, p.spent]);
    expect(spent).toEqual([
      ['tokens-minute', 321],
      ['usd-month', 1_234],
    ]);
  });

  it('remaining: what the store has not leased out plus this container unreserved lease part', async () => {
    const s = recorded();
    const leases = manager(s.store);
    expect(await leases.remaining('acme', MONTH)).toEqual({
      remaining: 100_000_000,
      limit: 100_000_000,
      period: '2026-11',
      resets_at: Date.parse('2026-12-01T00:00:00Z'),
    });
    reserved(await leases.reserve('acme', MONTH, 1_000));
    expect((await leases.remaining('acme', MONTH)).remaining).toBe(99_999_000);
  });
});
