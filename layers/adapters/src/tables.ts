// The DynamoDB table layouts the adapters read and write. The CDK stack creates tables with
// exactly these key schemas; the local stack and tests create them from `TABLE_DEFINITIONS`.

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

export const API_KEYS_TABLE = { partitionKey: 'key_hash' } as const;

export const JOBS_TABLE = { partitionKey: 'pk', ttlAttribute: 'expires_at' } as const;

/** Rollouts: one item per rollout (`id`), plus one lock item per (policy, model) being rolled out. */
export const ROLLOUTS_TABLE = { partitionKey: 'id' } as const;

export type TableName = 'registry' | 'health' | 'apiKeys' | 'jobs' | 'rollouts';

export interface TableDefinition {
  partitionKey: string;
  sortKey?: string;
  ttlAttribute?: string;
}

/** Key schema (all string keys) and TTL attribute of every table, by logical name. */
export const TABLE_DEFINITIONS: Readonly<Record<TableName, TableDefinition>> = {
  registry: { partitionKey: REGISTRY_TABLE.partitionKey, sortKey: REGISTRY_TABLE.sortKey },
  health: { partitionKey: HEALTH_TABLE.partitionKey, ttlAttribute: HEALTH_TABLE.ttlAttribute },
  apiKeys: { partitionKey: API_KEYS_TABLE.partitionKey },
  jobs: { partitionKey: JOBS_TABLE.partitionKey, ttlAttribute: JOBS_TABLE.ttlAttribute },
  rollouts: { partitionKey: ROLLOUTS_TABLE.partitionKey },
};

/** A CreateTable input (on-demand billing) for a table definition, for local servers and tests. */
export function createTableInput(tableName: string, definition: TableDefinition) {
  const keys = [
    { AttributeName: definition.partitionKey, KeyType: 'HASH' as const },
    ...(definition.sortKey ? [{ AttributeName: definition.sortKey, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    KeySchema: keys,
    AttributeDefinitions: keys.map((k) => ({ AttributeName: k.AttributeName, AttributeType: 'S' as const })),
  };
}
