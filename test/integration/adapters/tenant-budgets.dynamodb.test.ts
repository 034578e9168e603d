// The router's read of a tenant's budget attributes, against dynalite with the real SDK client:
// only `budget`, `rate_limits`, `updated_at`, `revision` (and the request policy's attributes, `pii_action` among them) come back (never the webhook secret); a tenant
// without them has no limits; an unknown tenant is undefined; a malformed budget fails loudly.
// The per-tenant cache serves one read per TTL, concurrent callers included.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { CachedTenantBudgets, DynamoDbTenantBudgets } from '@switchyard/adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../support/local-aws.ts';

let dynamo: LocalDynamo;
let tableName: string;
let source: DynamoDbTenantBudgets;

const put = (item: Record<string, unknown>) =>
  dynamo.client.send(new PutCommand({ TableName: tableName, Item: item }));

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  tableName = await dynamo.createTable('tenants');
  source = new DynamoDbTenantBudgets({ client: dynamo.client, tableName });
  await put({
    id: 'acme',
    webhook_secret: 'whsec_x',
    created_at: 1,
    name: 'Acme',
    budget: { limit_usd: 100, period: 'month', degrade: true },
    rate_limits: { tokens_per_minute: 10_000 },
    updated_at: 1_700_000_000_000,
    revision: 1_700_000_000_007,
  });
  await put({ id: 'plain', webhook_secret: 'whsec_y', created_at: 1 });
  await put({ id: 'private', webhook_secret: 'whsec_p', created_at: 1, name: 'P', pii_action: 'redact' });
  await put({ id: 'odd', webhook_secret: 'whsec_o', created_at: 1, pii_action: 'shred' });
  await put({
    id: 'broken',
    webhook_secret: 'whsec_z',
    created_at: 1,
    budget: { limit_usd: 'lots', period: 'month' },
  });
});
afterAll(async () => {
  await dynamo.stop();
});

describe('DynamoDbTenantBudgets', () => {
  it('reads the budget attributes only', async () => {
    expect(await source.get('acme')).toEqual({
      budget: { limit_usd: 100, period: 'month', degrade: true },
      rate_limits: { tokens_per_minute: 10_000 },
      updated_at: 1_700_000_000_000,
      revision: 1_700_000_000_007,
    });
  });

  it('a tenant without budget attributes has none; an unknown tenant is undefined', async () => {
    expect(await source.get('plain')).toEqual({});
    expect(await source.get('nobody')).toBeUndefined();
  });

  it('a malformed budget fails loudly, naming the attribute', async () => {
    await expect(source.get('broken')).rejects.toThrow(/tenant broken has a malformed budget\.limit_usd/);
  });

  it("reads the tenant's pii_action with them, and fails loudly on one it does not know", async () => {
    expect(await source.get('private')).toEqual({ pii_action: 'redact' });
    await expect(source.get('odd')).rejects.toThrow(/tenant odd has a malformed pii_action/);
  });
});

describe('CachedTenantBudgets', () => {
  it('one read per tenant and TTL, shared by concurrent callers', async () => {
    let now = 0;
    let reads = 0;
    const cached = new CachedTenantBudgets({
      source: {
        get: (t) => {
          reads++;
          return source.get(t);
        },
      },
      ttlMs: 1_000,
      now: () => now,
    });
    await Promise.all([cached.get('acme'), cached.get('acme'), cached.get('plain')]);
    expect(reads).toBe(2);
    now = 999;
    await cached.get('acme');
    expect(reads).toBe(2);
    now = 1_000;
    expect((await cached.get('acme'))?.budget?.limit_usd).toBe(100);
    expect(reads).toBe(3);
  });
});
