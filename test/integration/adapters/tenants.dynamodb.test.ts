// DynamoDbTenantStore against dynalite with the real SDK client: the shared contract suite (the
// same cases the in-memory store passes), plus what only the table shows: items written before
// profiles existed read with defaults, attributes added by other code are ignored by readers and
// kept by updates, the signers' read projects the webhook secret alone, malformed items are named.
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbTenantStore } from '@switchyard/adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../support/local-aws.ts';
import { tenant, tenantStoreContract } from '../../unit/adapters/tenant-store.contract.ts';

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

tenantStoreContract('DynamoDB (dynalite)', () => store);

describe('DynamoDbTenantStore items', () => {
  it('reads an item written before profiles existed as a standard-plan tenant named by its id', async () => {
    await dynamo.client.send(
      new PutCommand({
        TableName: tableName,
        Item: { id: 'legacy', webhook_secret: 'whsec_legacy-secret-1', created_at: 5 },
      }),
    );
    expect(await store.get('legacy')).toEqual({
      id: 'legacy',
      name: 'legacy',
      plan: 'standard',
      webhook_secret: 'whsec_legacy-secret-1',
      created_at: 5,
      updated_at: 5,
      revision: 5,
    });
    // Its first update is conditional on the revision it was read with (created_at).
    expect(await store.update(tenant('legacy', { name: 'Legacy', revision: 6, updated_at: 6 }), 4)).toBe(
      false,
    );
    expect(await store.update(tenant('legacy', { name: 'Legacy', revision: 6, updated_at: 6 }), 5)).toBe(
      true,
    );
    expect((await store.get('legacy'))?.name).toBe('Legacy');
  });

  it('ignores attributes later code adds, and an update keeps them', async () => {
    await store.create(tenant('grown'));
    await dynamo.client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { id: 'grown' },
        UpdateExpression: 'SET #x = :x',
        ExpressionAttributeNames: { '#x': 'billing_ref' },
        ExpressionAttributeValues: { ':x': 'crm-7' },
      }),
    );
    expect(await store.get('grown')).toEqual(tenant('grown'));
    expect(await store.update(tenant('grown', { plan: 'free', revision: 1_001 }), 1_000)).toBe(true);
    const raw = await dynamo.client.send(new GetCommand({ TableName: tableName, Key: { id: 'grown' } }));
    expect(raw.Item).toEqual({ ...tenant('grown', { plan: 'free', revision: 1_001 }), billing_ref: 'crm-7' });
  });

  it('knows no secret for an unknown tenant or an unusable id', async () => {
    expect(await store.webhookSecret('nobody')).toBeUndefined();
    expect(await store.get('nobody')).toBeUndefined();
    expect(await store.get('a/b')).toBeUndefined();
    expect(await store.profile('')).toBeUndefined();
  });

  it('names a malformed item and the field at fault', async () => {
    await dynamo.client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { id: 'broken' },
        UpdateExpression: 'SET created_at = :c',
        ExpressionAttributeValues: { ':c': 1 },
      }),
    );
    await expect(store.get('broken')).rejects.toThrow(/tenant item broken is malformed \(webhook_secret: /);
    expect(await store.webhookSecret('broken')).toBeUndefined();
    await dynamo.client.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...tenant('badplan'), plan: 'platinum' },
      }),
    );
    await expect(store.profile('badplan')).rejects.toThrow(/tenant item badplan is malformed \(plan: /);
  });
});
