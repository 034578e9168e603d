// UsageStore over the usage table (tables.ts USAGE_TABLE): pk `<tenant>#<shard>` (shard from a
// hash of the request id, so a tenant's writes spread over 8 partitions), sk
// `<at, 13 digits>#<request_id>`. A put is conditional on the key being new: a writer that
// retries after a timeout (the first write may have landed) never counts a request twice. A
// query runs one Query per shard over the sk range, in parallel, following pages, and merges.
// Items carry `expires_at` (TTL, epoch seconds): `at` plus the retention time.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type UsageRecord, UsageRecordSchema, type UsageStore } from '@switchyard/core';
import { written } from './conditional-write.ts';
import { USAGE_TABLE } from './tables.ts';
import { assertUsageRange, byTime, usageShard, validUsageRecord } from './usage.shared.ts';

/** Default retention: 400 days (a year of invoices and a month to dispute them). */
export const USAGE_RETENTION_DAYS = 400;

export interface DynamoDbUsageStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Days an item is kept after `at` (TTL). @default USAGE_RETENTION_DAYS */
  retentionDays?: number;
  /** Items per Query page (tests force paging with a small one). @default DynamoDB's 1 MB pages */
  pageSize?: number;
}

const T = USAGE_TABLE;
const pad = (at: number) => String(at).padStart(13, '0');

/** The key of a record: pk `<tenant>#<shard>`, sk `<at>#<request_id>`. */
export function usageKey(record: Pick<UsageRecord, 'tenant' | 'request_id' | 'at'>): {
  pk: string;
  sk: string;
} {
  return {
    pk: `${record.tenant}#${usageShard(record.request_id, T.shards)}`,
    sk: `${pad(record.at)}#${record.request_id}`,
  };
}

export class DynamoDbUsageStore implements UsageStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #retentionS: number;
  readonly #pageSize: number | undefined;

  constructor(options: DynamoDbUsageStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#retentionS = (options.retentionDays ?? USAGE_RETENTION_DAYS) * 86_400;
    this.#pageSize = options.pageSize;
  }

  async put(record: UsageRecord): Promise<void> {
    const valid = validUsageRecord(record);
    const key = usageKey(valid);
    // False: the record is there already (a retried write): nothing to do.
    await written(
      this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            ...valid,
            [T.partitionKey]: key.pk,
            [T.sortKey]: key.sk,
            [T.ttlAttribute]: Math.floor(valid.at / 1000) + this.#retentionS,
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': T.partitionKey },
        }),
      ),
    );
  }

  async query(tenant: string, fromMs: number, toMs: number): Promise<UsageRecord[]> {
    assertUsageRange(fromMs, toMs);
    if (toMs <= fromMs) return [];
    // sk BETWEEN `<from>` and `<to - 1>~`: '~' sorts after '#<any request id>'.
    const lo = pad(fromMs);
    const hi = `${pad(toMs - 1)}~`;
    const shards = Array.from({ length: T.shards }, (_, shard) =>
      this.#queryShard(`${tenant}#${shard}`, lo, hi),
    );
    const items = (await Promise.all(shards)).flat();
    return items.map((item) => toRecord(item, this.#tableName)).sort(byTime);
  }

  async #queryShard(pk: string, lo: string, hi: string): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
          ExpressionAttributeNames: { '#pk': T.partitionKey, '#sk': T.sortKey },
          ExpressionAttributeValues: { ':pk': pk, ':lo': lo, ':hi': hi },
          ExclusiveStartKey: start,
          ...(this.#pageSize ? { Limit: this.#pageSize } : {}),
        }),
      );
      out.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}

function toRecord(item: Record<string, unknown>, table: string): UsageRecord {
  const { [T.partitionKey]: _pk, [T.sortKey]: _sk, [T.ttlAttribute]: _ttl, ...rest } = item;
  const parsed = UsageRecordSchema.safeParse(rest);
  if (!parsed.success) throw new Error(`table ${table}: usage item ${String(_sk)} is malformed`);
  return parsed.data;
}
