// The admin API's tenants, keys and usage, over ports: create (201 with the tenant and, this once,
// its webhook signing secret), list, show, patch (conditional on the revision read; a plan change
// moves the tenant's keys to the new tier's usage plan) and delete (every key revoked first);
// keys: create (201 `{key_id, key}`: the secret shown once, stored only as its sha256 hash, API
// Gateway given only the key's random usage id), list (no secrets), revoke (effective within the
// authorizer's cache TTL); usage: totals and groups over a range (core summarizeUsage).
import { parseInput } from '@switchyard/adapters/lambda';
import type {
  ApiKeyRecord,
  ApiKeyStore,
  TenantRecord,
  TenantStore,
  UsagePlanKeys,
  UsageStore,
} from '@switchyard/core';
import {
  ConflictError,
  InvalidRequestError,
  NotFoundError,
  newTenant,
  parseUsageQuery,
  patchTenant,
  summarizeUsage,
  TENANT_ID,
  TenantCreateSchema,
  TenantPatchSchema,
  tenantView,
  z,
} from '@switchyard/core';
import type { AdminResponse } from './admin.service.ts';

export interface TenantAdminDeps {
  tenants: TenantStore;
  keys: ApiKeyStore;
  gateway: UsagePlanKeys;
  usage: Pick<UsageStore, 'query'>;
  /** A new key and its record (adapters issueApiKey). */
  issueKey: (options: { tenant: string; name: string; now: number; allowed_models?: string[] }) => {
    key: string;
    record: ApiKeyRecord;
  };
  newWebhookSecret: () => string;
  now: () => number;
  /** How long a revoked key may keep working (the authorizer's cache TTL), for the answers. */
  revocationSeconds: number;
}

/** `POST /admin/tenants/{id}/keys`. */
export const KeyCreateSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  /** Narrows the tenant's allow-list for this key (must be within it when the tenant has one). */
  allowed_models: z
    .array(
      z
        .string()
        .min(1)
        .max(200)
        .regex(/^[^\s,]+$/, 'a model id or id@version, without spaces or commas'),
    )
    .min(1)
    .max(100)
    .optional(),
});

/** A key as the admin API lists it: never its hash, its secret or its usage id. */
export function keyView(r: ApiKeyRecord) {
  return {
    object: 'api_key' as const,
    key_id: r.key_id,
    tenant: r.tenant,
    name: r.name,
    created_at: r.created_at,
    disabled: r.disabled === true,
    ...(r.allowed_models ? { allowed_models: r.allowed_models } : {}),
  };
}

/** Attempts of a PATCH that lost a race with another writer before it answers 409. */
const PATCH_ATTEMPTS = 3;

export class TenantAdmin {
  constructor(private readonly deps: TenantAdminDeps) {}

  /** `POST /admin/tenants`. */
  async create(body: unknown): Promise<AdminResponse> {
    const input = parseInput(TenantCreateSchema, body, 'tenant');
    const secret = this.deps.newWebhookSecret();
    const record = newTenant(input, secret, this.deps.now());
    if (!(await this.deps.tenants.create(record))) {
      throw new ConflictError(`Tenant "${input.id}" exists.`, { param: 'id', code: 'tenant_exists' });
    }
    // The webhook secret, this once: it signs every webhook to the tenant and is not shown again.
    return { status: 201, body: { ...tenantView(record), webhook_secret: secret } };
  }

  /** `GET /admin/tenants`. */
  async list(): Promise<AdminResponse> {
    const tenants = await this.deps.tenants.list();
    return { status: 200, body: { object: 'list', data: tenants.map(tenantView) } };
  }

  /** `GET /admin/tenants/{id}`. */
  async get(id: string): Promise<AdminResponse> {
    return { status: 200, body: tenantView(await this.#tenant(id)) };
  }

  /** `PATCH /admin/tenants/{id}`. */
  async patch(id: string, body: unknown): Promise<AdminResponse> {
    if (typeof body === 'object' && body !== null && 'id' in body) {
      const given = (body as { id: unknown }).id;
      if (given !== id) {
        throw new InvalidRequestError(`id cannot change (the path names "${id}").`, { param: 'id' });
      }
      const { id: _same, ...rest } = body as Record<string, unknown>;
      body = rest;
    }
    const patch = parseInput(TenantPatchSchema, body, 'tenant patch');
    for (let attempt = 1; ; attempt++) {
      const current = await this.#tenant(id);
      const next = patchTenant(current, patch, this.deps.now());
      if (await this.deps.tenants.update(next, current.revision)) {
        if (next.plan !== current.plan) await this.#moveKeys(id, current.plan, next.plan);
        return { status: 200, body: tenantView(next) };
      }
      if (attempt >= PATCH_ATTEMPTS) {
        throw new ConflictError(`Tenant "${id}" kept changing while this patch was applied; retry.`);
      }
    }
  }

  /** `DELETE /admin/tenants/{id}`: revokes every key, then deletes the record (usage stays). */
  async delete(id: string): Promise<AdminResponse> {
    await this.#tenant(id);
    const keys = await this.deps.keys.listByTenant(id);
    let revoked = 0;
    for (const k of keys) if (await this.#revoke(k)) revoked += 1;
    await this.deps.tenants.delete(id);
    return {
      status: 200,
      body: {
        object: 'tenant',
        id,
        deleted: true,
        keys_revoked: revoked,
        revoked_within_seconds: this.deps.revocationSeconds,
      },
    };
  }

  /** `POST /admin/tenants/{id}/keys`. */
  async createKey(id: string, body: unknown): Promise<AdminResponse> {
    const tenant = await this.#tenant(id);
    const input = parseInput(KeyCreateSchema, body ?? {}, 'key');
    // The key carries only its own narrowing: the tenant's list is read at request time (the
    // router's tenant cache), so a PATCH of it reaches every key within that cache's TTL.
    const allowed = input.allowed_models;
    if (input.allowed_models && tenant.allowed_models) {
      const outside = input.allowed_models.find((m) => !tenant.allowed_models?.includes(m));
      if (outside !== undefined) {
        throw new InvalidRequestError(
          `allowed_models: "${outside}" is not in tenant "${id}"'s allowed models.`,
          { param: 'allowed_models' },
        );
      }
    }
    const { key, record } = this.deps.issueKey({
      tenant: id,
      name: input.name ?? `${id} key`,
      now: this.deps.now(),
      ...(allowed ? { allowed_models: allowed } : {}),
    });
    // API Gateway gets the random usage id, never the key; then the record with its hash.
    const gatewayKeyId = await this.deps.gateway.register(
      record.usage_id,
      record.key_id,
      tenant.plan,
      `Switchyard key of ${id}`,
    );
    const stored = { ...record, gateway_key_id: gatewayKeyId };
    await this.deps.keys.put(stored);
    return { status: 201, body: { ...keyView(stored), key } };
  }

  /** `GET /admin/tenants/{id}/keys`. */
  async listKeys(id: string): Promise<AdminResponse> {
    await this.#tenant(id);
    const keys = await this.deps.keys.listByTenant(id);
    return { status: 200, body: { object: 'list', data: keys.map(keyView) } };
  }

  /** `DELETE /admin/tenants/{id}/keys/{key_id}`: idempotent (a revoked key stays revoked). */
  async revokeKey(id: string, keyId: string): Promise<AdminResponse> {
    await this.#tenant(id);
    const record = await this.deps.keys.findById(keyId);
    if (!record || record.tenant !== id) {
      throw new NotFoundError(`Tenant "${id}" has no key "${keyId.slice(0, 64)}".`, { param: 'key_id' });
    }
    await this.#revoke(record);
    return {
      status: 200,
      body: {
        ...keyView({ ...record, disabled: true }),
        revoked_within_seconds: this.deps.revocationSeconds,
      },
    };
  }

  /** `GET /admin/tenants/{id}/usage?from=&to=&group_by=`. */
  async usage(id: string, query: Readonly<Record<string, string>>): Promise<AdminResponse> {
    const { range, groupBy } = parseUsageQuery(query, this.deps.now());
    await this.#tenant(id);
    const records = await this.deps.usage.query(id, range.fromMs, range.toMs);
    return { status: 200, body: summarizeUsage(id, records, range, groupBy) };
  }

  async #tenant(id: string): Promise<TenantRecord> {
    const tenant = TENANT_ID.test(id) ? await this.deps.tenants.get(id) : undefined;
    if (!tenant) throw new NotFoundError(`No tenant "${id.slice(0, 64)}".`, { param: 'id' });
    return tenant;
  }

  /** Disables the key in the table (what the authorizer reads) and at the gateway; true when it was enabled. */
  async #revoke(record: ApiKeyRecord): Promise<boolean> {
    const wasEnabled = record.disabled !== true;
    if (wasEnabled) await this.deps.keys.disable(record.key_hash);
    if (record.gateway_key_id) await this.deps.gateway.disable(record.gateway_key_id);
    return wasEnabled;
  }

  async #moveKeys(id: string, from: TenantRecord['plan'], to: TenantRecord['plan']): Promise<void> {
    for (const k of await this.deps.keys.listByTenant(id)) {
      if (k.gateway_key_id && !k.disabled) await this.deps.gateway.changePlan(k.gateway_key_id, from, to);
    }
  }
}
