// The DynamoDB table layouts the adapters read and write. The CDK stack creates tables with
// exactly these key schemas; the local stack and tests create them from `TABLE_DEFINITIONS`.

export const REGISTRY_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** pk values: one partition per registry kind; sk = `id@version` / endpoint id / policy name. */
  partitions: { model: 'model', endpoint: 'endpoint', policy: 'policy' },
} as const;

export const HEALTH_TABLE = { partitionKey: 'endpoint', ttlAttribute: 'expires_at' } as const;

export const API_KEYS_TABLE = { partitionKey: 'key_hash' } as const;

export const JOBS_TABLE = { partitionKey: 'pk', ttlAttribute: 'expires_at' } as const;

/** Rollouts: one item per rollout (`id`), plus one lock item per (policy, model) being rolled out. */
export const ROLLOUTS_TABLE = { partitionKey: 'id' } as const;

/**
 * Budgets: one item per (tenant, budget period): pk `tenant`, sk `<budget id>#<period key>`
 * (`usd-month#2026-11`). Items the sweeper still visits carry `sweep = "open"`, which puts them in
 * the sparse keys-only index `open-periods`; closing a period removes it. Minute and day periods
 * expire (TTL `expires_at`, epoch seconds) after a retention time.
 */
export const BUDGETS_TABLE = {
  partitionKey: 'tenant',
  sortKey: 'budget',
  ttlAttribute: 'expires_at',
  openIndex: 'open-periods',
  openAttribute: 'sweep',
  openValue: 'open',
} as const;

export type TableName = 'registry' | 'health' | 'apiKeys' | 'jobs' | 'rollouts' | 'budgets';

/** A global secondary index on one string partition key, keys only. */
export interface IndexDefinition {
  name: string;
  partitionKey: string;
}

export interface TableDefinition {
  partitionKey: string;
  sortKey?: string;
  ttlAttribute?: string;
  indexes?: readonly IndexDefinition[];
}

/** Key schema (all string keys) and TTL attribute of every table, by logical name. */
export const TABLE_DEFINITIONS: Readonly<Record<TableName, TableDefinition>> = {
  registry: { partitionKey: REGISTRY_TABLE.partitionKey, sortKey: REGISTRY_TABLE.sortKey },
  health: { partitionKey: HEALTH_TABLE.partitionKey, ttlAttribute: HEALTH_TABLE.ttlAttribute },
  apiKeys: { partitionKey: API_KEYS_TABLE.partitionKey },
  jobs: { partitionKey: JOBS_TABLE.partitionKey, ttlAttribute: JOBS_TABLE.ttlAttribute },
  rollouts: { partitionKey: ROLLOUTS_TABLE.partitionKey },
  budgets: {
    partitionKey: BUDGETS_TABLE.partitionKey,
    sortKey: BUDGETS_TABLE.sortKey,
    ttlAttribute: BUDGETS_TABLE.ttlAttribute,
    indexes: [{ name: BUDGETS_TABLE.openIndex, partitionKey: BUDGETS_TABLE.openAttribute }],
  },
};

/** A CreateTable input (on-demand billing) for a table definition, for local servers and tests. */
export function createTableInput(tableName: string, definition: TableDefinition) {
  const keys = [
    { AttributeName: definition.partitionKey, KeyType: 'HASH' as const },
    ...(definition.sortKey ? [{ AttributeName: definition.sortKey, KeyType: 'RANGE' as const }] : []),
  ];
  const indexes = definition.indexes ?? [];
  const attributes = [...keys.map((k) => k.AttributeName), ...indexes.map((i) => i.partitionKey)];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    KeySchema: keys,
    AttributeDefinitions: [...new Set(attributes)].map((name) => ({
      AttributeName: name,
      AttributeType: 'S' as const,
    })),
    ...(indexes.length > 0
      ? {
          GlobalSecondaryIndexes: indexes.map((i) => ({
            IndexName: i.name,
            KeySchema: [{ AttributeName: i.partitionKey, KeyType: 'HASH' as const }],
            Projection: { ProjectionType: 'KEYS_ONLY' as const },
          })),
        }
      : {}),
  };
}
