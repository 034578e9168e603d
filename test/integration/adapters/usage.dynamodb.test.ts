// The DynamoDB UsageStore against dynalite with the real SDK client: the shared contract suite
// (the same cases the in-memory store passes), plus the item layout (sharded pk, time-ordered sk,
// TTL after the retention) and queries that follow pages.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbUsageStore, usageKey, usageShard } from '@switchyard/adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../support/local-aws.ts';
import { usageRecord, usageStoreContract } from '../../unit/adapters/usage-store.contract.ts';

let dynamo: LocalDynamo;
let table: string;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  table = await dynamo.createTable('usage');
});
afterAll(async () => {
  await dynamo?.stop();
});

usageStoreContract(
  'DynamoDB (dynalite)',
  () => new DynamoDbUsageStore({ client: dynamo.client, tableName: table }),
);
usageStoreContract(
  'DynamoDB (dynalite), pages of 3',
  () => new DynamoDbUsageStore({ client: dynamo.client, tableName: table, pageSize: 3 }),
);

describe('DynamoDbUsageStore item layout', () => {
  it('keys by tenant#shard and padded time#request id; expires 400 days after the request', async () => {
    const store = new DynamoDbUsageStore({ client: dynamo.client, tableName: table });
    const record = usageRecord({ tenant: 'layout', request_id: 'req-7', at: 1_795_514_400_123 });
    await store.put(record);
    const key = usageKey(record);
    expect(key).toEqual({ pk: `layout#${usageShard('req-7', 8)}`, sk: '1795514400123#req-7' });
    const item = (await dynamo.client.send(new GetCommand({ TableName: table, Key: key }))).Item;
    expect(item?.expires_at).toBe(1_795_514_400 + 400 * 86_400);
    expect(item?.cost_nanos).toBe(1_150);
  });

  it('pads early times to 13 digits so they sort before later ones', () => {
    expect(usageKey({ tenant: 't', request_id: 'r', at: 5 }).sk).toBe('0000000000005#r');
  });

  it('keeps items for the configured retention', async () => {
    const store = new DynamoDbUsageStore({ client: dynamo.client, tableName: table, retentionDays: 30 });
    const record = usageRecord({ tenant: 'retain', request_id: 'r30', at: 1_795_514_400_999 });
    await store.put(record);
    const item = (await dynamo.client.send(new GetCommand({ TableName: table, Key: usageKey(record) }))).Item;
    expect(item?.expires_at).toBe(1_795_514_400 + 30 * 86_400);
  });

  it('spreads request ids over all 8 shards', () => {
    const shards = new Set(Array.from({ length: 200 }, (_, i) => usageShard(`req-${i}`, 8)));
    expect([...shards].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(usageShard('req-7', 8)).toBe(usageShard('req-7', 8));
  });

  it('fails loudly on an item that is not a usage record', async () => {
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    await dynamo.client.send(
      new PutCommand({
        TableName: table,
        Item: { pk: `broken#${usageShard('b', 8)}`, sk: '0000000001000#b', tenant: 'broken' },
      }),
    );
    const store = new DynamoDbUsageStore({ client: dynamo.client, tableName: table });
    await expect(store.query('broken', 0, 2_000)).rejects.toThrow(/usage item 0000000001000#b is malformed/);
  });
});
