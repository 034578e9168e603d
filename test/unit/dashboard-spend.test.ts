// The dashboard's spend per tenant: the usage records of the budget's current period only (a
// record at the period's first millisecond counts, one a millisecond before does not), against
// the budget (share used; none without a budget, where the month is shown), in micro-dollars.
import { MemoryUsageStore } from '@switchyard/adapters';
import type { TenantProfile, UsageRecord } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { tenantSpend } from '../../infra/local/dashboard.ts';

const NOV_1 = Date.UTC(2026, 10, 1);
const DAY_24 = Date.UTC(2026, 10, 24);
const NOW = DAY_24 + 3_600_000;
const profile = (id: string, over: Partial<TenantProfile> = {}): TenantProfile => ({
  id,
  name: id,
  plan: 'standard',
  created_at: 1,
  updated_at: 1,
  revision: 1,
  ...over,
});
const rec = (tenant: string, at: number, cost_nanos: number, n: string): UsageRecord => ({
  tenant,
  key_id: 'key_a',
  request_id: n,
  route: 'chat',
  model: 'm1',
  endpoint: 'e1',
  prompt_tokens: 1,
  completion_tokens: 1,
  cost_nanos,
  cost_usd: cost_nanos / 1e9,
  latency_ms: 1,
  attempts: 1,
  status: 'ok',
  at,
});

describe('tenantSpend', () => {
  it("sums each tenant's current budget period against its limit", async () => {
    const usage = new MemoryUsageStore();
    await usage.put(rec('monthly', NOV_1, 40_000_000_000, 'a')); // first ms of the month: in
    await usage.put(rec('monthly', NOV_1 - 1, 99_000_000_000, 'b')); // October: out
    await usage.put(rec('monthly', NOW, 1_000_000_000, 'c'));
    await usage.put(rec('daily', DAY_24 - 1, 5_000_000_000, 'd')); // yesterday: out
    await usage.put(rec('daily', DAY_24, 250_000_000, 'e'));
    await usage.put(rec('open', NOV_1 + 5, 123_000, 'f'));
    const tenants = [
      profile('daily', { budget: { limit_usd: 1, period: 'day' }, plan: 'free' }),
      profile('monthly', { budget: { limit_usd: 50, period: 'month' } }),
      profile('open'),
      profile('zero', { budget: { limit_usd: 0, period: 'total' } }),
    ];
    expect(await tenantSpend(async () => tenants, usage, NOW)).toEqual([
      {
        id: 'daily',
        plan: 'free',
        limit_usd: 1,
        period: 'day',
        period_key: '2026-11-24',
        spent_usd: 0.25,
        used_share: 0.25,
      },
      {
        id: 'monthly',
        plan: 'standard',
        limit_usd: 50,
        period: 'month',
        period_key: '2026-11',
        spent_usd: 41,
        used_share: 0.82,
      },
      {
        id: 'open',
        plan: 'standard',
        limit_usd: null,
        period: 'month',
        period_key: '2026-11',
        spent_usd: 0.000123,
        used_share: null,
      },
      {
        id: 'zero',
        plan: 'standard',
        limit_usd: 0,
        period: 'total',
        period_key: 'total',
        spent_usd: 0,
        used_share: 0,
      },
    ]);
  });
});
