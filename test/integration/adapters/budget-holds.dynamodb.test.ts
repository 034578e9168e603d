// Durable budget holds (jobs) on the DynamoDB BudgetStore against dynalite with the real SDK
// client: taken all or none as leases named by the job, idempotent, settled once to the actual
// use, refused with the router's refusal reasons, sharing the period item with router leases (one
// conditional write decides between them), and settled in full by the sweeper once expired.
import { BudgetHolds, BudgetLeases, DynamoDbBudgetStore } from '@switchyard/adapters';
import type { BudgetHold, BudgetSpec } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepBudgets } from '../../../functions/budget-sweeper/budget-sweeper.service.ts';
import { type LocalDynamo, startLocalDynamo } from '../../support/local-aws.ts';

let dynamo: LocalDynamo;
let store: DynamoDbBudgetStore;

/** 2026-11-24T10:31:05Z: month `2026-11`, minute `2026-11-24T10:31Z`. */
const T = Date.UTC(2026, 10, 24, 10, 31, 5);
const spend = (limit: number): BudgetSpec => ({ unit: 'usd_nanos', period: 'month', limit, revision: 0 });
const tokens = (limit: number): BudgetSpec => ({ unit: 'tokens', period: 'minute', limit, revision: 0 });

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  store = new DynamoDbBudgetStore({ client: dynamo.client, tableName: await dynamo.createTable('budgets') });
});
afterAll(async () => {
  await dynamo?.stop();
});

const holdsAt = (now: number) => new BudgetHolds({ store, now: () => now });
const month = (tenant: string) => store.getPeriod({ tenant, budget: 'usd-month', period: '2026-11' });
const isHold = (r: unknown): r is BudgetHold => typeof r === 'object' && r !== null && 'lease_id' in r;

describe('BudgetHolds on DynamoDB', () => {
  it('takes a hold as one lease per item named by the job, and a second take adopts it', async () => {
    const holds = holdsAt(T);
    const wanted = [
      { spec: spend(1_000), amount: 300 },
      { spec: tokens(5_000), amount: 1_200 },
    ];
    const hold = await holds.take('h-take', 'job.a', wanted, 60_000);
    expect(hold).toEqual({
      tenant: 'h-take',
      lease_id: 'job.a',
      expires_at: T + 60_000,
      items: [
        { budget: 'usd-month', period: '2026-11', unit: 'usd_nanos', amount: 300 },
        { budget: 'tokens-minute', period: '2026-11-24T10:31Z', unit: 'tokens', amount: 1_200 },
      ],
    });
    expect(await month('h-take')).toMatchObject({
      limit: 1_000,
      spent: 0,
      available: 700,
      leases: { 'job.a': { amount: 300, expires_at: T + 60_000, holder: 'hold' } },
    });
    // The step ran again (a retried invocation, a minute later): the same hold, nothing more taken.
    const again = await holdsAt(T + 20_000).take('h-take', 'job.a', wanted, 60_000);
    expect(again).toEqual(hold);
    expect((await month('h-take'))?.available).toBe(700);
  });

  it('settles each item to its actual use once; a second settle changes nothing', async () => {
    const holds = holdsAt(T);
    const hold = await holds.take(
      'h-settle',
      'job.b',
      [
        { spec: spend(1_000), amount: 300 },
        { spec: tokens(5_000), amount: 1_200 },
      ],
      60_000,
    );
    if (!isHold(hold)) throw new Error('refused');
    expect(await holds.settle(hold, [123, 40])).toBe(2);
    expect(await month('h-settle')).toMatchObject({ spent: 123, available: 877, leases: {} });
    const minute = await store.getPeriod({
      tenant: 'h-settle',
      budget: 'tokens-minute',
      period: '2026-11-24T10:31Z',
    });
    expect(minute).toMatchObject({ spent: 40, available: 4_960, leases: {} });
    expect(await holds.settle(hold, [123, 40])).toBe(0);
    expect(await month('h-settle')).toMatchObject({ spent: 123, available: 877 });
  });

  it('a release (no actuals) gives everything back; zero amounts hold nothing', async () => {
    const holds = holdsAt(T);
    const hold = await holds.take(
      'h-release',
      'job.c',
      [
        { spec: spend(1_000), amount: 0 },
        { spec: tokens(5_000), amount: 10 },
      ],
      60_000,
    );
    if (!isHold(hold)) throw new Error('refused');
    expect(hold.items.map((i) => i.unit)).toEqual(['tokens']);
    expect(await month('h-release')).toBeUndefined();
    expect(await holds.settle(hold, [])).toBe(1);
    expect(
      await store.getPeriod({ tenant: 'h-release', budget: 'tokens-minute', period: '2026-11-24T10:31Z' }),
    ).toMatchObject({ spent: 0, available: 5_000, leases: {} });
  });

  it('refuses all or none: spend taken, tokens refused, spend given back; the refusal says why', async () => {
    const holds = holdsAt(T);
    const refused = await holds.take(
      'h-none',
      'job.d',
      [
        { spec: spend(1_000), amount: 300 },
        { spec: tokens(1_000), amount: 1_001 },
      ],
      60_000,
    );
    expect(refused).toMatchObject({
      ok: false,
      reason: 'exceeds-limit',
      budget: 'tokens-minute',
      limit: 1_000,
      requested: 1_001,
      retry_after_ms: null,
    });
    expect(await month('h-none')).toMatchObject({ spent: 0, available: 1_000, leases: {} });
  });

  it('refuses `exhausted` past what settled spend leaves, and `held` when router leases hold the rest', async () => {
    const holds = holdsAt(T);
    const first = await holds.take('h-why', 'job.e', [{ spec: spend(1_000), amount: 900 }], 60_000);
    if (!isHold(first)) throw new Error('refused');
    await holds.settle(first, [900]);
    expect(await holds.take('h-why', 'job.f', [{ spec: spend(1_000), amount: 101 }], 60_000)).toMatchObject({
      ok: false,
      reason: 'exhausted',
      unspent: 100,
      resets_at: Date.UTC(2026, 11, 1),
      retry_after_ms: Date.UTC(2026, 11, 1) - T,
    });
    // A router container leases most of what is left: the job may fit once the lease comes back.
    const leases = new BudgetLeases({ store, now: () => T, holder: 'router-1' });
    const r = await leases.reserve('h-why', spend(1_000), 80);
    expect(r.ok).toBe(true);
    const held = await holds.take('h-why', 'job.g', [{ spec: spend(1_000), amount: 30 }], 60_000);
    expect(held).toMatchObject({ ok: false, reason: 'held', retry_after_ms: 5_000 });
    leases.stop();
  });

  it('never lets concurrent holds pass the limit (one conditional write each)', async () => {
    const holds = holdsAt(T);
    const limit = 700;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        holds.take('h-race', `job.r${i}`, [{ spec: spend(limit), amount: 100 }], 60_000),
      ),
    );
    expect(results.filter(isHold)).toHaveLength(7);
    const record = await month('h-race');
    expect(record?.available).toBe(0);
    expect(Object.keys(record?.leases ?? {})).toHaveLength(7);
  });

  it('an expired hold (its worker died) is settled in full by the sweeper; the late settle is a no-op', async () => {
    const holds = holdsAt(T);
    const hold = await holds.take('h-dead', 'job.h', [{ spec: spend(1_000), amount: 250 }], 60_000);
    if (!isHold(hold)) throw new Error('refused');
    const early = await sweepBudgets({ store, now: () => T + 59_999 });
    expect(early.settled_leases).toBe(0);
    const swept = await sweepBudgets({ store, now: () => T + 60_000 });
    expect(swept.settled_leases).toBeGreaterThanOrEqual(1);
    expect(await month('h-dead')).toMatchObject({ spent: 250, available: 750, leases: {} });
    expect(await holds.settle(hold, [10])).toBe(0);
    expect(await month('h-dead')).toMatchObject({ spent: 250, available: 750 });
  });

  it('check: undefined while settled spend leaves room, else the refusal (nothing reserved)', async () => {
    const holds = holdsAt(T);
    expect(await holds.check('h-check', spend(500), 500)).toBeUndefined();
    expect(await holds.check('h-check', spend(500), 501)).toMatchObject({ reason: 'exceeds-limit' });
    const h = await holds.take('h-check', 'job.i', [{ spec: spend(500), amount: 450 }], 60_000);
    if (!isHold(h)) throw new Error('refused');
    // Held, not spent: a check does not count it (it may come back).
    expect(await holds.check('h-check', spend(500), 100)).toBeUndefined();
    await holds.settle(h, [450]);
    expect(await holds.check('h-check', spend(500), 50)).toBeUndefined();
    expect(await holds.check('h-check', spend(500), 51)).toMatchObject({ reason: 'exhausted', unspent: 50 });
    // A newer spec's limit counts before any write syncs it.
    expect(await holds.check('h-check', { ...spend(600), revision: 1 }, 150)).toBeUndefined();
    expect(await month('h-check')).toMatchObject({ limit: 500, spent: 450, available: 50 });
  });

  it('a newer limit is synced to the period item before the hold is taken', async () => {
    const holds = holdsAt(T);
    await holds.take('h-sync', 'job.j', [{ spec: spend(100), amount: 100 }], 60_000);
    const more = await holds.take(
      'h-sync',
      'job.k',
      [{ spec: { ...spend(300), revision: 2 }, amount: 150 }],
      1,
    );
    expect(isHold(more)).toBe(true);
    expect(await month('h-sync')).toMatchObject({ limit: 300, revision: 2, available: 50 });
  });
});
