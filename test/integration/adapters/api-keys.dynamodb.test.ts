// DynamoDbApiKeyStore against dynalite with the real SDK client: records stored under the key's
// hash (never the key), found by hash and by public key id (keys-only index), disabled in place;
// issueApiKey's identifiers are random and unrelated to the secret.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbApiKeyStore, generateApiKey, hashApiKey, issueApiKey } from '@switchyard/adapters';
import type { ApiKeyRecord } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../support/local-aws.ts';

let dynamo: LocalDynamo;
let tableName: string;
let store: DynamoDbApiKeyStore;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  tableName = await dynamo.createTable('apiKeys');
  store = new DynamoDbApiKeyStore({ client: dynamo.client, tableName });
});
afterAll(async () => {
  await dynamo.stop();
});

describe('issueApiKey', () => {
  it('makes a key, its hash, and a key id and usage id drawn apart from the secret', () => {
    const { key, record } = issueApiKey({ tenant: 'acme', name: 'ci', now: 1_700_000_000_000 });
    expect(key).toMatch(/^sk-sy-[A-Za-z0-9_-]{43}$/);
    expect(record).toEqual({
      key_hash: hashApiKey(key),
      key_id: expect.stringMatching(/^key_[0-9a-f]{32}$/),
      usage_id: expect.stringMatching(/^usage_[0-9a-f]{40}$/),
      tenant: 'acme',
      name: 'ci',
      role: 'consumer',
      created_at: 1_700_000_000_000,
    });
    // Nothing of the secret or its hash in the public identifiers.
    const secretPart = key.slice('sk-sy-'.length);
    for (const id of [record.key_id, record.usage_id]) {
      expect(id).not.toContain(secretPart.slice(0, 8));
      expect(id).not.toContain(record.key_hash.slice(0, 8));
    }
  });

  it('keeps a given key, the role and the allow-list; ids differ every time', () => {
    const a = issueApiKey({
      tenant: 't',
      name: 'n',
      now: 1,
      key: 'sk-sy-fixed',
      role: 'admin',
      allowed_models: ['m'],
    });
    const b = issueApiKey({ tenant: 't', name: 'n', now: 1, key: 'sk-sy-fixed' });
    expect(a.key).toBe('sk-sy-fixed');
    expect(a.record).toMatchObject({
      key_hash: hashApiKey('sk-sy-fixed'),
      role: 'admin',
      allowed_models: ['m'],
    });
    expect(b.record.key_hash).toBe(a.record.key_hash);
    expect(b.record.key_id).not.toBe(a.record.key_id);
    expect(b.record.usage_id).not.toBe(a.record.usage_id);
  });
});

describe('DynamoDbApiKeyStore', () => {
  it('stores a record under the key hash; finds it by hash and by key id; the key is not stored', async () => {
    const { key, record } = issueApiKey({
      tenant: 'acme',
      name: 'ci',
      now: 1_700_000_000_000,
      allowed_models: ['llama-3-8b'],
    });
    const withGateway: ApiKeyRecord = { ...record, gateway_key_id: 'gw123' };
    await store.put(withGateway);
    expect(await store.findByHash(hashApiKey(key))).toEqual(withGateway);
    expect(await store.findById(record.key_id)).toEqual(withGateway);
    expect(await store.findByHash(hashApiKey(`${key}x`))).toBeUndefined();
    const raw = await dynamo.client.send(
      new GetCommand({ TableName: tableName, Key: { key_hash: record.key_hash } }),
    );
    expect(JSON.stringify(raw.Item)).not.toContain(key);
  });

  it("lists a tenant's keys, enabled or not, oldest first, and no other tenant's", async () => {
    const mk = (tenant: string, now: number) => issueApiKey({ tenant, name: `k${now}`, now }).record;
    const [late, early, other] = [mk('lister', 3_000), mk('lister', 2_000), mk('lister-2', 1_000)];
    for (const r of [late, early, other]) await store.put(r);
    await store.disable(late.key_hash);
    expect(await store.listByTenant('lister')).toEqual([early, { ...late, disabled: true }]);
    expect(await store.listByTenant('lister-2')).toEqual([other]);
    expect(await store.listByTenant('nobody')).toEqual([]);
  });

  it('finds nothing for an unknown or malformed key id', async () => {
    expect(await store.findById(`key_${'0'.repeat(32)}`)).toBeUndefined();
    expect(await store.findById('key_nothex')).toBeUndefined();
  });

  it('disables a key in place (everything else kept); false for a key that does not exist', async () => {
    const { record } = issueApiKey({ tenant: 't', name: 'old', now: 5, role: 'admin' });
    await store.put(record);
    expect(await store.disable(record.key_hash)).toBe(true);
    expect(await store.findByHash(record.key_hash)).toEqual({ ...record, disabled: true });
    expect(await store.disable(hashApiKey('sk-sy-never-issued'))).toBe(false);
    expect(await store.findByHash(hashApiKey('sk-sy-never-issued'))).toBeUndefined();
  });

  it('omits absent optional fields', async () => {
    const { record } = issueApiKey({ tenant: 't', name: 'plain', now: 1 });
    await store.put(record);
    const found = await store.findByHash(record.key_hash);
    expect(found && ['allowed_models', 'disabled', 'gateway_key_id'].filter((k) => k in found)).toEqual([]);
  });

  it('refuses to store something that is not a sha256 hash, or identifiers it did not issue', async () => {
    const { record } = issueApiKey({ tenant: 't', name: 'n', now: 1 });
    await expect(store.put({ ...record, key_hash: 'sk-sy-plaintext' })).rejects.toThrow(
      /never the key itself/,
    );
    await expect(store.put({ ...record, usage_id: generateApiKey() })).rejects.toThrow(/random identifiers/);
    await expect(store.put({ ...record, key_id: record.key_hash.slice(0, 12) })).rejects.toThrow(
      /random identifiers/,
    );
  });

  it('refuses malformed stored items (a record from before key ids is one)', async () => {
    const hash = hashApiKey('sk-sy-malformed');
    await dynamo.client.send(
      new PutCommand({
        TableName: tableName,
        Item: { key_hash: hash, tenant: 't', name: 'n', role: 'consumer', created_at: 1 },
      }),
    );
    await expect(store.findByHash(hash)).rejects.toThrow(/is malformed/);
  });
});
