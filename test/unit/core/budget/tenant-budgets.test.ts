// A tenant's budget attributes as specs: USD limits in nano-dollars per period, a
// tokens-per-minute limit, the degrade option (true: the default curve; an object: its own), the
// record's updated_at as the revision; malformed attributes are refused by the schema.
import { describe, expect, it } from 'vitest';
import { TenantBudgetConfigSchema, tenantBudgets } from '../../../../layers/core/src/index.ts';

describe('tenantBudgets', () => {
  it('no record or no attributes: no limits', () => {
    expect(tenantBudgets(undefined)).toEqual({});
    expect(tenantBudgets({})).toEqual({});
  });

  it('a spend budget, a tokens-per-minute and a requests-per-minute limit, revised by updated_at', () => {
    expect(
      tenantBudgets({
        budget: { limit_usd: 100, period: 'month' },
        rate_limits: { tokens_per_minute: 10_000, requests_per_minute: 60 },
        updated_at: 1_700_000_000_000,
      }),
    ).toEqual({
      spend: { unit: 'usd_nanos', period: 'month', limit: 100_000_000_000, revision: 1_700_000_000_000 },
      tokens: { unit: 'tokens', period: 'minute', limit: 10_000, revision: 1_700_000_000_000 },
      requests: { unit: 'requests', period: 'minute', limit: 60, revision: 1_700_000_000_000 },
    });
  });

  it("carries the record's allow-list and default classification as the request policy", () => {
    expect(tenantBudgets({ allowed_models: ['m1'], data_classification: 'phi' })).toEqual({
      request_policy: { allowed_models: ['m1'], data_classification: 'phi' },
    });
    expect(tenantBudgets({ allowed_models: [] })).toEqual({ request_policy: { allowed_models: [] } });
    expect(tenantBudgets({ data_classification: 'pii' })).toEqual({
      request_policy: { data_classification: 'pii' },
    });
    expect(TenantBudgetConfigSchema.safeParse({ data_classification: 'secret' }).success).toBe(false);
  });

  it("carries the record's pii_action in the request policy (the privacy step reads it)", () => {
    expect(tenantBudgets({ pii_action: 'redact' })).toEqual({ request_policy: { pii_action: 'redact' } });
    expect(tenantBudgets({ pii_action: 'refuse', data_classification: 'pii' })).toEqual({
      request_policy: { data_classification: 'pii', pii_action: 'refuse' },
    });
    expect(TenantBudgetConfigSchema.safeParse({ pii_action: 'shred' }).success).toBe(false);
  });

  it('the revision wins over updated_at', () => {
    expect(
      tenantBudgets({ budget: { limit_usd: 2, period: 'day' }, updated_at: 5, revision: 9 }).spend?.revision,
    ).toBe(9);
  });

  it('degrade: true is 1% of what is left below 20%; an object is its own curve; false is none', () => {
    expect(tenantBudgets({ budget: { limit_usd: 1, period: 'day', degrade: true } }).degrade).toEqual({
      below: 0.2,
      share: 0.01,
    });
    expect(
      tenantBudgets({ budget: { limit_usd: 1, period: 'day', degrade: { below: 0.5, share: 0.1 } } }).degrade,
    ).toEqual({ below: 0.5, share: 0.1 });
    expect(tenantBudgets({ budget: { limit_usd: 1, period: 'total', degrade: false } })).toEqual({
      spend: { unit: 'usd_nanos', period: 'total', limit: 1_000_000_000, revision: 0 },
    });
  });

  it.each([
    [{ budget: { limit_usd: -1, period: 'month' } }],
    [{ budget: { limit_usd: 1, period: 'week' } }],
    [{ budget: { limit_usd: 1, period: 'month', degrade: { below: 0.2, share: 0 } } }],
    [{ budget: { limit_usd: 1, period: 'month', degrade: { below: 1.1, share: 0.1 } } }],
    [{ rate_limits: { tokens_per_minute: 1.5 } }],
  ])('refuses %j', (raw) => {
    expect(TenantBudgetConfigSchema.safeParse(raw).success).toBe(false);
  });
});
