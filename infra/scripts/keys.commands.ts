// What `npm run keys` does, over the stores and the API Gateway registrar (so tests run it
// against a local DynamoDB): create a consumer key (and its tenant, with a webhook signing secret,
// when the tenant is new) and disable a key by its id or by the key itself. Secrets are returned
// to be printed once; only the key's hash and the tenant's secret are stored.
import { generateWebhookSecret, hashApiKey, issueApiKey, KEY_ID, TENANT_ID } from '@switchyard/adapters';
import type { ApiKeyRecord, ApiKeyStore, TenantStore } from '@switchyard/core';
import { DEFAULT_PLAN, newTenant } from '@switchyard/core';

export interface KeysDeps {
  keys: ApiKeyStore;
  tenants: TenantStore;
  gateway: {
    register(value: string, name: string, description?: string): Promise<string>;
    disable(id: string): Promise<void>;
  };
  now: () => number;
}

export class KeysUsageError extends Error {
  override name = 'KeysUsageError';
}

export interface CreatedKey {
  key: string;
  record: ApiKeyRecord;
  /** The new tenant's webhook secret, when this call created the tenant (shown once). */
  webhookSecret?: string;
}

export async function createKey(
  deps: KeysDeps,
  options: { tenant: string; name?: string; models?: string },
): Promise<CreatedKey> {
  const { tenant } = options;
  if (!TENANT_ID.test(tenant)) {
    throw new KeysUsageError(
      `--tenant must be 1 to 64 letters, digits, '.', '_' or '-': ${JSON.stringify(tenant)}`,
    );
  }
  const models = options.models
    ?.split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  const now = deps.now();
  const webhookSecret = generateWebhookSecret();
  const tenantCreated = await deps.tenants.create(
    newTenant({ id: tenant, name: tenant, plan: DEFAULT_PLAN }, webhookSecret, now),
  );
  const { key, record } = issueApiKey({
    tenant,
    name: options.name ?? `${tenant} key`,
    now,
    ...(models && models.length > 0 ? { allowed_models: models } : {}),
  });
  // API Gateway gets the random usage id, never the key; then the record with its hash.
  const gatewayKeyId = await deps.gateway.register(
    record.usage_id,
    record.key_id,
    `Switchyard key of ${tenant}`,
  );
  const stored = { ...record, gateway_key_id: gatewayKeyId };
  await deps.keys.put(stored);
  return { key, record: stored, ...(tenantCreated ? { webhookSecret } : {}) };
}

export async function disableKey(
  deps: KeysDeps,
  options: { keyId?: string; key?: string },
): Promise<ApiKeyRecord> {
  let record: ApiKeyRecord | undefined;
  if (options.keyId !== undefined) {
    if (!KEY_ID.test(options.keyId)) throw new KeysUsageError(`--key-id must look like key_<32 hex digits>`);
    record = await deps.keys.findById(options.keyId);
  } else if (options.key !== undefined) {
    record = await deps.keys.findByHash(hashApiKey(options.key));
  } else {
    throw new KeysUsageError('disable needs --key-id <id> (or --key <key>)');
  }
  if (!record) throw new KeysUsageError('no such key');
  await deps.keys.disable(record.key_hash);
  if (record.gateway_key_id) await deps.gateway.disable(record.gateway_key_id);
  return { ...record, disabled: true };
}

/** What `create` prints: the secrets (once) and how to revoke. */
export function createdMessage(created: CreatedKey, revocationSeconds: number): string {
  const lines = [];
  if (created.webhookSecret) {
    lines.push(
      `tenant ${created.record.tenant}: created`,
      `  webhook secret  ${created.webhookSecret}`,
      '  (shown once: it signs every webhook to this tenant; see "Webhook signatures" in the README)',
    );
  } else {
    lines.push(`tenant ${created.record.tenant}: exists (its webhook secret was shown when it was created)`);
  }
  lines.push(
    `API key  ${created.key}`,
    '  (shown once; only its sha256 hash is stored, API Gateway holds an unrelated usage id)',
    `key id   ${created.record.key_id}`,
    `  revoke: npm run keys -- disable --key-id ${created.record.key_id}  (stops working within ${revocationSeconds} s)`,
  );
  return lines.join('\n');
}
