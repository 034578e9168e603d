// The DynamoDB table layouts the adapters read and write. The CDK stack creates tables with
// exactly these key schemas; the local stack and tests create them from `TABLE_DEFINITIONS`.
import { TENANT_PROFILE_ATTRIBUTES } from '@switchyard/core';

export const REGISTRY_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** pk values: one partition per registry kind; sk = `id@version` / endpoint id / policy name. */
  partitions: { model: 'model', endpoint: 'endpoint', policy: 'policy' },
} as const;

/**
 * Health: one item per endpoint (key: the endpoint id), plus one in-flight report per router
 * container under `routerReportPrefix` + container id (endpoint ids cannot start with `~`).
 */
export const HEALTH_TABLE = {
  partitionKey: 'endpoint',
  ttlAttribute: 'expires_at',
  routerReportPrefix: '~router/',
} as const;

export const API_KEYS_TABLE = {
  partitionKey: 'key_hash',
  /** GSI on the public key id (keys only): find a key to revoke by its id. */
  byKeyId: { indexName: 'by-key-id', partitionKey: 'key_id' },
  /** GSI on the tenant (keys only): list a tenant's keys, revoke them all. */
  byTenant: { indexName: 'by-tenant', partitionKey: 'tenant' },
} as const;

/**
 * Tenants: one item per tenant (`id`). `webhook_secret` is the only attribute the signing
 * functions may read (their grant names exactly `signerAttributes`); other readers of profiles
 * are granted `profileAttributes`, which leave the secret out.
 */
export const TENANTS_TABLE = {
  partitionKey: 'id',
  webhookSecretAttribute: 'webhook_secret',
  signerAttributes: ['id', 'webhook_secret'],
  /**
   * What the router and the job functions read of a tenant (its budgets, allow-list and default
   * classification and PII action; tenant-budgets.dynamodb.ts), and may read.
   */
  budgetAttributes: [
    'id',
    'budget',
    'rate_limits',
    'updated_at',
    'revision',
    'allowed_models',
    'data_classification',
    'pii_action',
  ],
  profileAttributes: TENANT_PROFILE_ATTRIBUTES,
} as const;

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

/**
 * Usage: one item per metered request. pk `<tenant>#<shard>` with the shard (0..shards-1) from a
 * hash of the request id, so one tenant's writes spread over `shards` partitions (DynamoDB takes
 * about 1,000 writes/s per partition: 8 shards carry a tenant at several thousand requests/s);
 * sk `<at, 13 digits>#<request_id>`, so a time range is one Query per shard. Items expire (TTL
 * `expires_at`, epoch seconds) after the retention time (usage.dynamodb.ts; 400 days by default,
 * longer than a year of invoices; the S3 export keeps them beyond).
 */
export const USAGE_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expires_at',
  /** Part of the key layout: changing it re-homes records, so it is fixed. */
  shards: 8,
} as const;

/**
 * Decisions (issue 13): one item per routed request (`request_id`), the learned router's decision
 * log with the caller's feedback joined on; expires (TTL `expires_at`, epoch seconds).
 */
export const DECISIONS_TABLE = {
  partitionKey: 'request_id',
  ttlAttribute: 'expires_at',
  /** The learned state's item (learned-state.dynamodb.ts); request ids cannot start with `~`. */
  learnedStateKey: '~learned',
} as const;

export type TableName =
  | 'registry'
  | 'health'
  | 'apiKeys'
  | 'jobs'
  | 'rollouts'
  | 'tenants'
  | 'budgets'
  | 'usage'
  | 'decisions';

/** A global secondary index on one string partition key, keys only. */
export interface IndexDefinition {
  indexName: string;
  partitionKey: string;
}

export interface TableDefinition {
  partitionKey: string;
  sortKey?: string;
  ttlAttribute?: string;
  /** Global secondary indexes (string partition key, keys-only projection). */
  indexes?: readonly IndexDefinition[];
}

/** Key schema (all string keys) and TTL attribute of every table, by logical name. */
export const TABLE_DEFINITIONS: Readonly<Record<TableName, TableDefinition>> = {
  registry: { partitionKey: REGISTRY_TABLE.partitionKey, sortKey: REGISTRY_TABLE.sortKey },
  health: { partitionKey: HEALTH_TABLE.partitionKey, ttlAttribute: HEALTH_TABLE.ttlAttribute },
  apiKeys: {
    partitionKey: API_KEYS_TABLE.partitionKey,
    indexes: [API_KEYS_TABLE.byKeyId, API_KEYS_TABLE.byTenant],
  },
  jobs: { partitionKey: JOBS_TABLE.partitionKey, ttlAttribute: JOBS_TABLE.ttlAttribute },
  rollouts: { partitionKey: ROLLOUTS_TABLE.partitionKey },
  tenants: { partitionKey: TENANTS_TABLE.partitionKey },
  budgets: {
    partitionKey: BUDGETS_TABLE.partitionKey,
    sortKey: BUDGETS_TABLE.sortKey,
    ttlAttribute: BUDGETS_TABLE.ttlAttribute,
    indexes: [{ indexName: BUDGETS_TABLE.openIndex, partitionKey: BUDGETS_TABLE.openAttribute }],
  },
  usage: {
    partitionKey: USAGE_TABLE.partitionKey,
    sortKey: USAGE_TABLE.sortKey,
    ttlAttribute: USAGE_TABLE.ttlAttribute,
  },
  decisions: { partitionKey: DECISIONS_TABLE.partitionKey, ttlAttribute: DECISIONS_TABLE.ttlAttribute },
};

/** A CreateTable input (on-demand billing) for a table definition, for local servers and tests. */
export function createTableInput(tableName: string, definition: TableDefinition) {
  const keys = [
    { AttributeName: definition.partitionKey, KeyType: 'HASH' as const },
    ...(definition.sortKey ? [{ AttributeName: definition.sortKey, KeyType: 'RANGE' as const }] : []),
  ];
  const indexes = definition.indexes ?? [];
  const attributes = [
    ...new Set([...keys.map((k) => k.AttributeName), ...indexes.map((i) => i.partitionKey)]),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    KeySchema: keys,
    AttributeDefinitions: attributes.map((a) => ({ AttributeName: a, AttributeType: 'S' as const })),
    ...(indexes.length > 0
      ? {
          GlobalSecondaryIndexes: indexes.map((i) => ({
            IndexName: i.indexName,
            KeySchema: [{ AttributeName: i.partitionKey, KeyType: 'HASH' as const }],
            Projection: { ProjectionType: 'KEYS_ONLY' as const },
          })),
        }
      : {}),
  };
}
