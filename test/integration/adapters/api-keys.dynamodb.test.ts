import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbApiKeyStore, generateApiKey, hashApiKey } from '@switchyard/adapters';
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

describe('DynamoDbApiKeyStore', () => {
  it('stores a record under the key hash and finds it by hash', async () => {
    const key = generateApiKey();
    const record: ApiKeyRecord = {
      key_hash: hashApiKey(key),
      tenant: 'acme',
      name: 'ci',
      role: 'consumer',
      allowed_models: ['llama-3-8b'],
      created_at: 1_700_000_000_000,
    };
    await store.put(record);
    expect(await store.findByHash(hashApiKey(key))).toEqual(record);
    expect(await store.findByHash(hashApiKey(`${key}x`))).toBeUndefined();
  });

  it('keeps the disabled flag and omits absent optional fields', async () => {
    const record: ApiKeyRecord = {
      key_hash: hashApiKey('sk-sy-disabled'),
      tenant: 't',
      name: 'old',
      role: 'admin',
      created_at: 1,
      disabled: true,
    };
    await store.put(record);
    const found = await store.findByHash(record.key_hash);
    expect(found).toEqual(record);
    expect(found && 'allowed_models' in found).toBe(false);
  });

  it('refuses to store something that is not a sha256 hash', async () => {
    await expect(
      store.put({ key_hash: 'sk-sy-plaintext', tenant: 't', name: 'n', role: 'consumer', created_at: 1 }),
    ).rejects.toThrow(/never the key itself/);
  });

  it('refuses malformed stored items', async () => {
    const hash = hashApiKey('sk-sy-malformed');
    await dynamo.client.send(new PutCommand({ TableName: tableName, Item: { key_hash: hash, tenant: 't' } }));
    await expect(store.findByHash(hash)).rejects.toThrow(/is malformed/);
  });
});
