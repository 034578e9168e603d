// The decision log over the decisions table (tables.ts DECISIONS_TABLE): one item per routed
// request, keyed by its request id, expiring (TTL `expires_at`). A put is conditional on the
// key being new (a retried write never replaces a record that already has its feedback).
// Feedback is one conditional UpdateItem: the record exists, belongs to the tenant and has no
// feedback yet; when the condition fails, one consistent read tells "already given" (the stored
// feedback is returned: idempotent) from "no such record of this tenant" (404, whether it is
// missing or another tenant's, so the answer leaks nothing).
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DecisionLog, DecisionRecord, Feedback, FeedbackResult } from '@switchyard/core';
import { DECISION_RETENTION_MS } from '@switchyard/core';
import { written } from './conditional-write.ts';
import { DECISIONS_TABLE } from './tables.ts';

export interface DynamoDbDecisionLogOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** How long a record is kept after `at` (TTL). @default DECISION_RETENTION_MS (30 days) */
  retentionMs?: number;
}

const T = DECISIONS_TABLE;

export class DynamoDbDecisionLog implements DecisionLog {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #retentionMs: number;

  constructor(options: DynamoDbDecisionLogOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#retentionMs = options.retentionMs ?? DECISION_RETENTION_MS;
  }

  async put(record: DecisionRecord): Promise<void> {
    await written(
      this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...record, [T.ttlAttribute]: Math.floor((record.at + this.#retentionMs) / 1000) },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': T.partitionKey },
        }),
      ),
    );
  }

  async addFeedback(tenant: string, requestId: string, feedback: Feedback): Promise<FeedbackResult> {
    const stored = await written(
      this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { [T.partitionKey]: requestId },
          UpdateExpression: 'SET #fb = :fb',
          ConditionExpression: 'attribute_exists(#pk) AND #tenant = :tenant AND attribute_not_exists(#fb)',
          ExpressionAttributeNames: { '#pk': T.partitionKey, '#tenant': 'tenant', '#fb': 'feedback' },
          ExpressionAttributeValues: { ':fb': feedback, ':tenant': tenant },
        }),
      ),
    );
    if (stored) return { status: 'stored', feedback };
    const got = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { [T.partitionKey]: requestId },
        ConsistentRead: true,
        ProjectionExpression: '#tenant, #fb',
        ExpressionAttributeNames: { '#tenant': 'tenant', '#fb': 'feedback' },
      }),
    );
    const item = got.Item as { tenant?: string; feedback?: Feedback } | undefined;
    if (item?.tenant === tenant && item.feedback) return { status: 'duplicate', feedback: item.feedback };
    return { status: 'not-found' };
  }

  async since(sinceMs: number): Promise<DecisionRecord[]> {
    const out: DecisionRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new ScanCommand({
          TableName: this.#tableName,
          FilterExpression: '#at >= :since',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':since': sinceMs },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const { [T.ttlAttribute]: _ttl, ...record } = item;
        out.push(record as DecisionRecord);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out.sort((a, b) => a.at - b.at || (a.request_id < b.request_id ? -1 : 1));
  }
}
