// The tenant schemas at their boundaries: ids (1..64 plain characters), names, plans, budgets
// (0 and $9 million accepted, -0.01 and one dollar more refused, periods day|month|total), rate
// limits (1 and 1e9 per minute, integers), allow-lists (100 models at most), unknown fields
// refused; patches (null removes, an empty one refused); the view never shows the secret;
// revisions always grow; items written before profiles read with defaults.
import {
  newTenant,
  patchTenant,
  TenantCreateSchema,
  TenantPatchSchema,
  type TenantRecord,
  tenantFromItem,
  tenantView,
} from '@switchyard/core';
import { describe, expect, it } from 'vitest';

const ok = (v: unknown) => TenantCreateSchema.safeParse(v).success;
const base = { id: 'acme', name: 'Acme' };
const issuePath = (v: unknown) => {
  const r = TenantCreateSchema.safeParse(v);
  return r.success ? undefined : r.error.issues[0]?.path.join('.');
};

describe('TenantCreateSchema', () => {
  it("takes the issue's example as is, with the standard plan by default", () => {
    const body = { id: 'acme', name: 'Acme', plan: 'standard', budget: { limit_usd: 100, period: 'month' } };
    expect(TenantCreateSchema.parse(body)).toEqual(body);
    expect(TenantCreateSchema.parse(base)).toEqual({ id: 'acme', name: 'Acme', plan: 'standard' });
  });

  it('accepts ids of 1 to 64 plain characters, starting with a letter or digit', () => {
    for (const id of ['a', '0', 'a.b_c-d', 'x'.repeat(64)]) expect(ok({ ...base, id }), id).toBe(true);
    for (const id of ['', '-a', '.a', '_a', 'a b', 'a/b', 'é', 'x'.repeat(65), 7]) {
      expect(ok({ ...base, id }), String(id)).toBe(false);
    }
  });

  it('needs a name of 1 to 200 characters (trimmed)', () => {
    expect(ok({ ...base, name: 'x'.repeat(200) })).toBe(true);
    expect(ok({ ...base, name: 'x'.repeat(201) })).toBe(false);
    expect(issuePath({ ...base, name: '   ' })).toBe('name');
    expect(issuePath({ id: 'acme' })).toBe('name');
    expect(TenantCreateSchema.parse({ ...base, name: '  Acme  ' }).name).toBe('Acme');
  });

  it('knows the plans free, standard and enterprise', () => {
    for (const plan of ['free', 'standard', 'enterprise']) expect(ok({ ...base, plan }), plan).toBe(true);
    expect(issuePath({ ...base, plan: 'gold' })).toBe('plan');
  });

  it('bounds budgets: $0 to $9 million (exact in nano-dollars), per day, month or total, nothing else', () => {
    const b = (limit_usd: unknown, period: unknown = 'month') =>
      ok({ ...base, budget: { limit_usd, period } });
    expect(b(0)).toBe(true);
    expect(b(0.000001)).toBe(true);
    expect(b(9_000_000)).toBe(true);
    expect(b(9_000_001)).toBe(false);
    expect(b(-0.01)).toBe(false);
    expect(b(Number.POSITIVE_INFINITY)).toBe(false);
    expect(b('100')).toBe(false);
    for (const p of ['day', 'month', 'total']) expect(b(1, p), p).toBe(true);
    for (const p of ['week', 'minute', 'year']) expect(b(1, p), p).toBe(false);
    expect(issuePath({ ...base, budget: { limit_usd: 1, period: 'month', extra: 1 } })).toBe('budget');
    expect(issuePath({ ...base, budget: { period: 'month' } })).toBe('budget.limit_usd');
  });

  it('bounds rate limits: whole numbers from 1 to 1e9 per minute', () => {
    const r = (rate_limits: unknown) => ok({ ...base, rate_limits });
    expect(r({ requests_per_minute: 1, tokens_per_minute: 1_000_000_000 })).toBe(true);
    expect(r({})).toBe(true);
    expect(r({ requests_per_minute: 0 })).toBe(false);
    expect(r({ tokens_per_minute: 1_000_000_001 })).toBe(false);
    expect(r({ requests_per_minute: 1.5 })).toBe(false);
    expect(r({ requests_per_second: 5 })).toBe(false);
  });

  it('takes at most 100 allowed models, ids without spaces or commas', () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);
    expect(ok({ ...base, allowed_models: list(100) })).toBe(true);
    expect(ok({ ...base, allowed_models: list(101) })).toBe(false);
    expect(ok({ ...base, allowed_models: ['m1@v2'] })).toBe(true);
    expect(issuePath({ ...base, allowed_models: ['a,b'] })).toBe('allowed_models.0');
    expect(issuePath({ ...base, allowed_models: ['a b'] })).toBe('allowed_models.0');
    expect(ok({ ...base, allowed_models: [''] })).toBe(false);
  });

  it('takes a default data classification from the registry vocabulary', () => {
    expect(ok({ ...base, data_classification: 'phi' })).toBe(true);
    expect(issuePath({ ...base, data_classification: 'secret' })).toBe('data_classification');
  });

  it('refuses unknown fields, among them a webhook secret chosen by the caller', () => {
    expect(ok({ ...base, webhook_secret: 'whsec_mine-mine-mine' })).toBe(false);
    expect(ok({ ...base, revision: 5 })).toBe(false);
  });
});

describe('TenantPatchSchema and patchTenant', () => {
  const stored: TenantRecord = newTenant(
    {
      id: 'acme',
      name: 'Acme',
      plan: 'standard',
      budget: { limit_usd: 100, period: 'month' },
      allowed_models: ['m1'],
    },
    'whsec_0123456789abcdef',
    1_000,
  );

  it('refuses an empty patch, an id change and unknown fields', () => {
    expect(TenantPatchSchema.safeParse({}).success).toBe(false);
    expect(TenantPatchSchema.safeParse({ id: 'other' }).success).toBe(false);
    expect(TenantPatchSchema.safeParse({ name: 'x', color: 'red' }).success).toBe(false);
  });

  it('changes what it names, removes what is null, keeps the rest and the secret', () => {
    const patch = TenantPatchSchema.parse({ plan: 'enterprise', allowed_models: null });
    expect(patchTenant(stored, patch, 2_000)).toEqual({
      id: 'acme',
      name: 'Acme',
      plan: 'enterprise',
      budget: { limit_usd: 100, period: 'month' },
      webhook_secret: 'whsec_0123456789abcdef',
      created_at: 1_000,
      updated_at: 2_000,
      revision: 2_000,
    });
  });

  it('always moves the revision forward, even when the clock does not', () => {
    const patch = TenantPatchSchema.parse({ name: 'B' });
    expect(patchTenant(stored, patch, 1_000).revision).toBe(1_001);
    expect(patchTenant(stored, patch, 500)).toMatchObject({ revision: 1_001, updated_at: 1_000 });
    expect(patchTenant(stored, patch, 1_002).revision).toBe(1_002);
  });
});

describe('tenantView and tenantFromItem', () => {
  it('shows everything but the webhook secret', () => {
    const t = newTenant({ id: 'acme', name: 'Acme', plan: 'free' }, 'whsec_0123456789abcdef', 7);
    expect(tenantView(t)).toEqual({
      object: 'tenant',
      id: 'acme',
      name: 'Acme',
      plan: 'free',
      created_at: 7,
      updated_at: 7,
      revision: 7,
    });
  });

  it('reads an item of the first layout with defaults, and names what is wrong with a bad one', () => {
    expect(tenantFromItem({ id: 'old', webhook_secret: 'whsec_0123456789abcdef', created_at: 3 })).toEqual({
      ok: true,
      record: {
        id: 'old',
        name: 'old',
        plan: 'standard',
        webhook_secret: 'whsec_0123456789abcdef',
        created_at: 3,
        updated_at: 3,
        revision: 3,
      },
    });
    expect(tenantFromItem({ id: 'old', created_at: 3 })).toEqual({
      ok: false,
      problem: expect.stringMatching(/^webhook_secret: /),
    });
  });
});
