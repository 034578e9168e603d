// TenantAdmin over the in-memory tenant store, an in-memory key store and a recording usage-plan
// registrar: what only a unit test can pin down. A PATCH that loses the race to another writer
// retries on the new revision and gives up with a 409 after 3 attempts; a plan change moves the
// enabled gateway keys only (from the old tier to the new one) and no move when the plan stays;
// DELETE counts the keys it revoked (not the ones already revoked) and disables each at the
// gateway; a key's allow-list is the tenant's unless it names a narrower one.
import { issueApiKey, MemoryTenantStore, MemoryUsageStore } from '@switchyard/adapters';
import type { ApiKeyRecord, ApiKeyStore, TenantRecord, UsagePlanKeys } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { TenantAdmin } from '../../functions/admin/tenants.service.ts';

class Keys implements ApiKeyStore {
  readonly items = new Map<string, ApiKeyRecord>();
  async findByHash(h: string) {
    return this.items.get(h);
  }
  async findById(id: string) {
    return [...this.items.values()].find((k) => k.key_id === id);
  }
  async put(r: ApiKeyRecord) {
    this.items.set(r.key_hash, { ...r });
  }
  async disable(h: string) {
    const k = this.items.get(h);
    if (k) k.disabled = true;
    return k !== undefined;
  }
  async listByTenant(t: string) {
    return [...this.items.values()].filter((k) => k.tenant === t);
  }
}

function setup() {
  const tenants = new MemoryTenantStore();
  const keys = new Keys();
  const calls: string[] = [];
  let seq = 0;
  const gateway: UsagePlanKeys = {
    register: async (_v, _n, plan) => {
      calls.push(`register ${plan}`);
      return `gw${++seq}`;
    },
    changePlan: async (id, from, to) => {
      calls.push(`move ${id} ${from}->${to}`);
    },
    disable: async (id) => {
      calls.push(`disable ${id}`);
    },
  };
  let now = 1_000;
  const admin = new TenantAdmin({
    tenants,
    keys,
    gateway,
    usage: new MemoryUsageStore(),
    issueKey: issueApiKey,
    newWebhookSecret: () => 'whsec_0123456789abcdef',
    now: () => now++,
    revocationSeconds: 10,
  });
  return { tenants, keys, calls, admin };
}

describe('TenantAdmin', () => {
  it('retries a PATCH that lost a race, on the new revision', async () => {
    const { tenants, admin } = setup();
    await admin.create({ id: 'acme', name: 'Acme' });
    let raced = 0;
    const update = tenants.update.bind(tenants);
    tenants.update = async (record: TenantRecord, expected: number) => {
      if (raced++ === 0) {
        // Another writer lands first.
        const current = (await tenants.get('acme')) as TenantRecord;
        await update({ ...current, name: 'Theirs', revision: current.revision + 50 }, current.revision);
      }
      return update(record, expected);
    };
    const res = await admin.patch('acme', { plan: 'free' });
    expect(res.status).toBe(200);
    expect(await tenants.get('acme')).toMatchObject({ name: 'Theirs', plan: 'free' });
    expect(raced).toBe(2);
  });

  it('answers 409 after 3 lost races', async () => {
    const { tenants, admin } = setup();
    await admin.create({ id: 'acme', name: 'Acme' });
    let attempts = 0;
    tenants.update = async () => {
      attempts++;
      return false;
    };
    await expect(admin.patch('acme', { name: 'B' })).rejects.toMatchObject({ status: 409 });
    expect(attempts).toBe(3);
  });

  it('moves enabled gateway keys on a plan change, and none when the plan stays', async () => {
    const { admin, calls } = setup();
    await admin.create({ id: 'acme', name: 'Acme', plan: 'free' });
    await admin.createKey('acme', {});
    const second = (await admin.createKey('acme', {})).body as { key_id: string };
    await admin.revokeKey('acme', second.key_id);
    calls.length = 0;
    await admin.patch('acme', { name: 'Same plan' });
    expect(calls).toEqual([]);
    await admin.patch('acme', { plan: 'enterprise' });
    expect(calls).toEqual(['move gw1 free->enterprise']);
  });

  it('DELETE revokes every enabled key (counted), disables each at the gateway, then the record', async () => {
    const { admin, calls, tenants } = setup();
    await admin.create({ id: 'acme', name: 'Acme' });
    await admin.createKey('acme', {});
    const b = (await admin.createKey('acme', {})).body as { key_id: string };
    await admin.revokeKey('acme', b.key_id);
    calls.length = 0;
    const res = await admin.delete('acme');
    expect(res.body).toEqual({
      object: 'tenant',
      id: 'acme',
      deleted: true,
      keys_revoked: 1,
      revoked_within_seconds: 10,
    });
    expect(calls.sort()).toEqual(['disable gw1', 'disable gw2']);
    expect(await tenants.get('acme')).toBeUndefined();
  });

  it("registers a key on its tenant's plan, carrying only its own narrowing of the tenant's allow-list", async () => {
    const { admin, calls } = setup();
    await admin.create({ id: 'acme', name: 'Acme', plan: 'enterprise', allowed_models: ['m1', 'm2'] });
    const inherited = (await admin.createKey('acme', {})).body as { allowed_models?: string[] };
    const narrowed = (await admin.createKey('acme', { allowed_models: ['m2'] })).body as {
      allowed_models?: string[];
    };
    expect(inherited.allowed_models).toBeUndefined();
    expect(narrowed.allowed_models).toEqual(['m2']);
    expect(calls).toEqual(['register enterprise', 'register enterprise']);
    await expect(admin.createKey('acme', { allowed_models: ['m1', 'm3'] })).rejects.toMatchObject({
      status: 400,
      param: 'allowed_models',
    });
  });

  it('answers a bad usage query with a 400 before looking the tenant up', async () => {
    const { admin } = setup();
    await expect(admin.usage('nobody', { group_by: 'x' })).rejects.toMatchObject({
      status: 400,
      param: 'group_by',
    });
    await expect(admin.usage('nobody', {})).rejects.toMatchObject({ status: 404 });
  });
});
