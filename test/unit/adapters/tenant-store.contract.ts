// The contract every TenantStore keeps, run by the in-memory store (unit) and the DynamoDB adapter
// against dynalite (integration, real SDK client): create once (a second create writes nothing,
// so a shown secret never changes behind the tenant's back), updates conditional on the revision
// read (a stale one writes nothing), `null`-removed fields gone, the secret and creation time
// kept by updates, profiles and lists without the secret, ordered by id, delete once.
import type { TenantRecord, TenantStore } from '@switchyard/core';
import { describe, expect, it } from 'vitest';

let seq = 0;
const fresh = (prefix: string) => `${prefix}-${++seq}-${Math.random().toString(36).slice(2, 7)}`;

export function tenant(id: string, over: Partial<TenantRecord> = {}): TenantRecord {
  return {
    id,
    name: `Tenant ${id}`,
    plan: 'standard',
    webhook_secret: 'whsec_0123456789abcdef',
    created_at: 1_000,
    updated_at: 1_000,
    revision: 1_000,
    ...over,
  };
}

export function tenantStoreContract(name: string, makeStore: () => TenantStore): void {
  describe(`TenantStore contract: ${name}`, () => {
    it('creates a tenant once; a second create changes nothing', async () => {
      const store = makeStore();
      const id = fresh('once');
      expect(await store.create(tenant(id, { budget: { limit_usd: 100, period: 'month' } }))).toBe(true);
      expect(await store.create(tenant(id, { name: 'Other', webhook_secret: 'whsec_second-secret-x' }))).toBe(
        false,
      );
      expect(await store.get(id)).toEqual(tenant(id, { budget: { limit_usd: 100, period: 'month' } }));
      expect(await store.webhookSecret(id)).toBe('whsec_0123456789abcdef');
    });

    it('shows profiles without the secret', async () => {
      const store = makeStore();
      const id = fresh('profile');
      await store.create(
        tenant(id, {
          plan: 'enterprise',
          rate_limits: { requests_per_minute: 600, tokens_per_minute: 90_000 },
          allowed_models: ['m1', 'm2@v2'],
          data_classification: 'confidential',
        }),
      );
      expect(await store.profile(id)).toEqual({
        id,
        name: `Tenant ${id}`,
        plan: 'enterprise',
        rate_limits: { requests_per_minute: 600, tokens_per_minute: 90_000 },
        allowed_models: ['m1', 'm2@v2'],
        data_classification: 'confidential',
        created_at: 1_000,
        updated_at: 1_000,
        revision: 1_000,
      });
      const listed = (await store.list()).find((t) => t.id === id);
      expect(listed).toEqual(await store.profile(id));
      expect(JSON.stringify(await store.list())).not.toContain('whsec_');
    });

    it('lists tenants ordered by id', async () => {
      const store = makeStore();
      const p = fresh('order');
      for (const s of ['b', 'c', 'a']) await store.create(tenant(`${p}-${s}`));
      const ids = (await store.list()).map((t) => t.id).filter((i) => i.startsWith(p));
      expect(ids).toEqual([`${p}-a`, `${p}-b`, `${p}-c`]);
    });

    it('updates iff the revision is the one read; removes absent optional fields; keeps secret and creation', async () => {
      const store = makeStore();
      const id = fresh('update');
      await store.create(tenant(id, { budget: { limit_usd: 5, period: 'day' }, allowed_models: ['m1'] }));
      const next = tenant(id, {
        name: 'Renamed',
        plan: 'free',
        budget: { limit_usd: 7.5, period: 'total' },
        webhook_secret: 'whsec_ignored-by-update',
        created_at: 9,
        updated_at: 2_000,
        revision: 2_000,
      });
      expect(await store.update(next, 999)).toBe(false);
      expect((await store.get(id))?.name).toBe(`Tenant ${id}`);
      expect(await store.update(next, 1_000)).toBe(true);
      expect(await store.get(id)).toEqual({
        id,
        name: 'Renamed',
        plan: 'free',
        budget: { limit_usd: 7.5, period: 'total' },
        webhook_secret: 'whsec_0123456789abcdef',
        created_at: 1_000,
        updated_at: 2_000,
        revision: 2_000,
      });
      // The revision moved on: a writer that read 1_000 loses.
      expect(await store.update(tenant(id, { revision: 3_000 }), 1_000)).toBe(false);
    });

    it('does not update or delete a tenant that is not there', async () => {
      const store = makeStore();
      const id = fresh('missing');
      expect(await store.update(tenant(id), 1_000)).toBe(false);
      expect(await store.get(id)).toBeUndefined();
      expect(await store.delete(id)).toBe(false);
    });

    it('deletes once', async () => {
      const store = makeStore();
      const id = fresh('delete');
      await store.create(tenant(id));
      expect(await store.delete(id)).toBe(true);
      expect(await store.delete(id)).toBe(false);
      expect(await store.get(id)).toBeUndefined();
      expect(await store.profile(id)).toBeUndefined();
      expect(await store.webhookSecret(id)).toBeUndefined();
      expect(await store.create(tenant(id, { name: 'Again' }))).toBe(true);
    });

    it('refuses tenant ids that are not 1 to 64 plain characters', async () => {
      const store = makeStore();
      for (const id of ['', 'has space', 'a/b', '-lead', 'x'.repeat(65)]) {
        await expect(store.create(tenant(id))).rejects.toThrow(/must match/);
      }
      const longest = `${fresh('l')}`.padEnd(64, 'x');
      expect(await store.create(tenant(longest))).toBe(true);
    });
  });
}
