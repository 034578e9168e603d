// IdempotencyStore over DynamoDB, in the jobs table: one item per (tenant, Idempotency-Key),
// `pk = idem#<sha256(tenant, key)>`, written once with a condition so concurrent requests with the
// same key agree on one job id. Claims expire (TTL attribute `expires_at`, default 24 h); an
// expired claim that DynamoDB has not deleted yet counts as absent and is overwritten.
import { createHash } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { IdempotencyRecord, IdempotencyStore } from '@switchyard/core';
import { written } from './conditional-write.ts';

export interface DynamoDbIdempotencyStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** How long a key is remembered. @default 86_400 (24 h) */
  ttlSeconds?: number;
  now?: () => number;
}

/** The item key of a tenant's idempotency key (hashed: keys are caller-chosen text). */
export function idempotencyKey(tenant: string, key: string): string {
  return `idem#${createHash('sha256').update(`${tenant}\n${key}`).digest('hex')}`;
}

export class DynamoDbIdempotencyStore implements IdempotencyStore {
  private readonly now: () => number;
  private readonly ttlSeconds: number;

  constructor(private readonly options: DynamoDbIdempotencyStoreOptions) {
    this.now = options.now ?? Date.now;
    this.ttlSeconds = options.ttlSeconds ?? 86_400;
  }

  async claim(
    record: IdempotencyRecord,
  ): Promise<{ claimed: true } | { claimed: false; existing: IdempotencyRecord }> {
    const pk = idempotencyKey(record.tenant, record.key);
    const nowSeconds = Math.floor(this.now() / 1000);
    const claimed = await written(
      this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { pk, ...record, expires_at: nowSeconds + this.ttlSeconds },
          ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now',
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      ),
    );
    if (claimed) return { claimed: true };
    const out = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: { pk }, ConsistentRead: true }),
    );
    const item = out.Item;
    if (!item) throw new Error('idempotency claim vanished between the conditional write and the read');
    return {
      claimed: false,
      existing: {
        tenant: String(item.tenant),
        key: String(item.key),
        request_hash: String(item.request_hash),
        job_id: String(item.job_id),
        created_at: Number(item.created_at),
      },
    };
  }
}
