// The DynamoDB BudgetStore against dynalite with the real SDK client: the shared contract suite
// (the same cases the in-memory store passes), plus the item layout the sweeper's index needs.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbBudgetStore } from '@switchyard/adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../support/local-aws.ts';
import { budgetStoreContract } from '../../unit/adapters/budget-store.contract.ts';

let dynamo: LocalDynamo;
let table: string;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  table = await dynamo.createTable('budgets');
});
afterAll(async () => {
  await dynamo?.stop();
});

budgetStoreContract(
  'DynamoDB (dynalite)',
  () => new DynamoDbBudgetStore({ client: dynamo.client, tableName: table }),
);

describe('DynamoDbBudgetStore item layout', () => {
  it('keys by tenant and budget#period, marks open periods for the index, expires minute periods', async () => {
    const store = new DynamoDbBudgetStore({ client: dynamo.client, tableName: table });
    await store.openPeriod({
      tenant: 'layout',
      budget: 'tokens-minute',
      period: '2026-11-24T10:31Z',
      unit: 'tokens',
      limit: 10_000,
      revision: 0,
      starts_at: 1_795_516_260_000,
      ends_at: 1_795_516_320_000,
    });
    await store.openPeriod({
      tenant: 'layout',
      budget: 'usd-month',
      period: '2026-11',
      unit: 'usd_nanos',
      limit: 1,
      revision: 0,
      starts_at: 1_793_491_200_000,
      ends_at: 1_796_083_200_000,
    });
    const get = async (budget: string) =>
      (await dynamo.client.send(new GetCommand({ TableName: table, Key: { tenant: 'layout', budget } })))
        .Item;
    const minute = await get('tokens-minute#2026-11-24T10:31Z');
    expect(minute).toMatchObject({ sweep: 'open', expires_at: 1_795_516_320 + 86_400 });
    expect(minute?.leases).toEqual({});
    const month = await get('usd-month#2026-11');
    expect(month?.sweep).toBe('open');
    expect(month?.expires_at).toBeUndefined();
  });
});
