// TenantStore in memory (unit tests, the admin service's tests): the same semantics as the
// DynamoDB store (create once, updates conditional on the revision read, profiles without the
// secret, list ordered by id), checked by the shared contract suite.
import type { TenantProfile, TenantRecord, TenantStore } from '@switchyard/core';
import { TENANT_ID, TENANT_PROFILE_ATTRIBUTES } from '@switchyard/core';

export class MemoryTenantStore implements TenantStore {
  readonly #items = new Map<string, TenantRecord>();

  async get(id: string): Promise<TenantRecord | undefined> {
    const t = this.#items.get(id);
    return t && structuredClone(t);
  }

  async profile(id: string): Promise<TenantProfile | undefined> {
    const t = this.#items.get(id);
    return t && profileOf(t);
  }

  async webhookSecret(id: string): Promise<string | undefined> {
    return this.#items.get(id)?.webhook_secret;
  }

  async create(record: TenantRecord): Promise<boolean> {
    if (!TENANT_ID.test(record.id))
      throw new Error(`tenant id ${JSON.stringify(record.id)} must match ${TENANT_ID}`);
    if (this.#items.has(record.id)) return false;
    this.#items.set(record.id, structuredClone(record));
    return true;
  }

  async list(): Promise<TenantProfile[]> {
    return [...this.#items.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map(profileOf);
  }

  async update(record: TenantRecord, expectedRevision: number): Promise<boolean> {
    const stored = this.#items.get(record.id);
    if (!stored || stored.revision !== expectedRevision) return false;
    // Only the profile attributes change: the secret and the creation time stay.
    const next = {
      ...structuredClone(record),
      webhook_secret: stored.webhook_secret,
      created_at: stored.created_at,
    };
    this.#items.set(record.id, next);
    return true;
  }

  async delete(id: string): Promise<boolean> {
    return this.#items.delete(id);
  }
}

function profileOf(t: TenantRecord): TenantProfile {
  const out: Record<string, unknown> = {};
  for (const a of TENANT_PROFILE_ATTRIBUTES) if (t[a] !== undefined) out[a] = structuredClone(t[a]);
  return out as TenantProfile;
}
