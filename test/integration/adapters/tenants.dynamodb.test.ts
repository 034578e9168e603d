// DynamoDbTenantStore against dynalite with the real SDK client: a tenant is created once (a
// second create writes nothing, so a shown secret never changes behind the tenant's back),
// attributes added later by other code are ignored and kept, and the signers' read projects the
// webhook secret alone.
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbTenantStore } from '@switchyard/adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../support/local-aws.ts';

let dynamo: LocalDynamo;
let tableName: string;
let store: DynamoDbTenantStore;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  tableName = await dynamo.createTable('tenants');
  store = new DynamoDbTenantStore({ client: dynamo.client, tableName });
});
afterAll(async () => {
  await dynamo.stop();
});

describe('DynamoDbTenantStore', () => {
  it('creates a tenant once; a second create changes nothing', async () => {
    expect(await store.create({ id: 'acme', webhook_secret: 'whsec_first', created_at: 1_000 })).toBe(true);
    expect(await store.create({ id: 'acme', webhook_secret: 'whsec_second', created_at: 2_000 })).toBe(false);
    expect(await store.get('acme')).toEqual({ id: 'acme', webhook_secret: 'whsec_first', created_at: 1_000 });
    expect(await store.webhookSecret('acme')).toBe('whsec_first');
  });

  it('reads the fields it knows and leaves the ones later code adds (profile, plan, budget)', async () => {
    await store.create({ id: 'grown', webhook_secret: 'whsec_g', created_at: 5 });
    await dynamo.client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { id: 'grown' },
        UpdateExpression: 'SET #n = :n, #p = :p',
        ExpressionAttributeNames: { '#n': 'name', '#p': 'plan' },
        ExpressionAttributeValues: { ':n': 'Grown Inc', ':p': { tier: 'pro' } },
      }),
    );
    expect(await store.get('grown')).toEqual({ id: 'grown', webhook_secret: 'whsec_g', created_at: 5 });
    expect(await store.create({ id: 'grown', webhook_secret: 'whsec_other', created_at: 6 })).toBe(false);
    const raw = await dynamo.client.send(new GetCommand({ TableName: tableName, Key: { id: 'grown' } }));
    expect(raw.Item).toEqual({
      id: 'grown',
      webhook_secret: 'whsec_g',
      created_at: 5,
      name: 'Grown Inc',
      plan: { tier: 'pro' },
    });
  });

  it('knows no secret for an unknown tenant', async () => {
    expect(await store.webhookSecret('nobody')).toBeUndefined();
    expect(await store.get('nobody')).toBeUndefined();
  });

  it('refuses tenant ids that are not 1 to 64 plain characters', async () => {
    for (const id of ['', 'has space', 'a/b', '-lead', 'x'.repeat(65)]) {
      await expect(store.create({ id, webhook_secret: 'whsec_x', created_at: 1 })).rejects.toThrow(
        /must match/,
      );
    }
    expect(await store.create({ id: 'x'.repeat(64), webhook_secret: 'whsec_x', created_at: 1 })).toBe(true);
  });

  it('refuses a malformed item', async () => {
    await dynamo.client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { id: 'broken' },
        UpdateExpression: 'SET created_at = :c',
        ExpressionAttributeValues: { ':c': 1 },
      }),
    );
    await expect(store.get('broken')).rejects.toThrow(/tenant item broken is malformed/);
    expect(await store.webhookSecret('broken')).toBeUndefined();
  });
});
