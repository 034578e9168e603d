// `npm run keys` logic against dynalite (real stores) with a recording API Gateway registrar:
// creating a key makes the tenant and its webhook secret once, registers the random usage id
// (never the key) with the usage plan, stores only the hash; disabling by key id or by key marks
// the record and disables the usage-plan key; bad input is a usage error that writes nothing.
import { DynamoDbApiKeyStore, DynamoDbTenantStore, hashApiKey } from '@switchyard/adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createdMessage,
  createKey,
  disableKey,
  type KeysDeps,
  KeysUsageError,
} from '../../infra/scripts/keys.commands.ts';
import { type LocalDynamo, startLocalDynamo } from '../support/local-aws.ts';

let dynamo: LocalDynamo;
let deps: KeysDeps;
const registered: Array<{ value: string; name: string; description?: string }> = [];
const disabled: string[] = [];

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  deps = {
    keys: new DynamoDbApiKeyStore({ client: dynamo.client, tableName: await dynamo.createTable('apiKeys') }),
    tenants: new DynamoDbTenantStore({
      client: dynamo.client,
      tableName: await dynamo.createTable('tenants'),
    }),
    gateway: {
      register: async (value, name, description) => {
        registered.push({ value, name, ...(description ? { description } : {}) });
        return `gw-${registered.length}`;
      },
      disable: async (id) => {
        disabled.push(id);
      },
    },
    now: () => 1_700_000_000_000,
  };
});
afterAll(async () => {
  await dynamo.stop();
});

describe('keys create', () => {
  it('creates the tenant with a webhook secret, registers the usage id, stores the hash', async () => {
    const created = await createKey(deps, { tenant: 'acme', models: 'llama-3-8b, support-llm' });
    expect(created.webhookSecret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(await deps.tenants.webhookSecret('acme')).toBe(created.webhookSecret);
    expect(registered.at(-1)).toEqual({
      value: created.record.usage_id,
      name: created.record.key_id,
      description: 'Switchyard key of acme',
    });
    expect(registered.at(-1)?.value).not.toBe(created.key);
    const stored = await deps.keys.findByHash(hashApiKey(created.key));
    expect(stored).toEqual({
      key_hash: hashApiKey(created.key),
      key_id: created.record.key_id,
      usage_id: created.record.usage_id,
      tenant: 'acme',
      name: 'acme key',
      role: 'consumer',
      created_at: 1_700_000_000_000,
      allowed_models: ['llama-3-8b', 'support-llm'],
      gateway_key_id: `gw-${registered.length}`,
    });
  });

  it('a second key of the tenant leaves its secret alone and does not show it again', async () => {
    const before = await deps.tenants.webhookSecret('acme');
    const second = await createKey(deps, { tenant: 'acme', name: 'acme ci' });
    expect(second.webhookSecret).toBeUndefined();
    expect(await deps.tenants.webhookSecret('acme')).toBe(before);
    expect(second.record).toMatchObject({ name: 'acme ci' });
    expect(second.record).not.toHaveProperty('allowed_models');
    const message = createdMessage(second, 10);
    expect(message).toContain('tenant acme: exists');
    expect(message).not.toContain('whsec_');
    expect(message.split(second.key)).toHaveLength(2);
    expect(message).toContain(
      `npm run keys -- disable --key-id ${second.record.key_id}  (stops working within 10 s)`,
    );
  });

  it("shows a new tenant's secret and the key, each once", async () => {
    const created = await createKey(deps, { tenant: 'fresh' });
    const message = createdMessage(created, 10);
    expect(message.split(created.webhookSecret as string)).toHaveLength(2);
    expect(message.split(created.key)).toHaveLength(2);
  });

  it('refuses a bad tenant id and writes nothing', async () => {
    const before = registered.length;
    for (const tenant of ['', 'with space', 'a/b']) {
      await expect(createKey(deps, { tenant })).rejects.toBeInstanceOf(KeysUsageError);
    }
    expect(registered).toHaveLength(before);
    expect(await deps.tenants.get('with space')).toBeUndefined();
  });
});

describe('keys disable', () => {
  it('by key id: the record is disabled and so is the usage-plan key', async () => {
    const created = await createKey(deps, { tenant: 'gamma' });
    const result = await disableKey(deps, { keyId: created.record.key_id });
    expect(result).toMatchObject({ key_id: created.record.key_id, disabled: true });
    expect((await deps.keys.findByHash(created.record.key_hash))?.disabled).toBe(true);
    expect(disabled.at(-1)).toBe(created.record.gateway_key_id);
  });

  it('by the key itself', async () => {
    const created = await createKey(deps, { tenant: 'gamma' });
    await disableKey(deps, { key: created.key });
    expect((await deps.keys.findByHash(created.record.key_hash))?.disabled).toBe(true);
  });

  it('says so for an unknown or malformed id, or no id at all', async () => {
    await expect(disableKey(deps, { keyId: `key_${'a'.repeat(32)}` })).rejects.toThrow('no such key');
    await expect(disableKey(deps, { keyId: 'acme' })).rejects.toThrow(/--key-id must look like/);
    await expect(disableKey(deps, {})).rejects.toThrow(/disable needs --key-id/);
  });
});
