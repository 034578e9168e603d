// JobStore over DynamoDB: one item per job (`pk = job#<id>`), every transition a conditional
// update, so a redelivered message or a retried step never records twice or leaves a final state.
// queued -> running (worker: markStarted; plan step: start) -> succeeded | failed (workflow) or
// queued -> dead-lettered (dead-letter consumer: finish(..., 'queued')).
// The caller's body (`request.body_json`) and the upstream's answer (`result_json`) are stored as
// JSON text, not as maps: DynamoDB refuses items nested deeper than 32 levels and numbers outside
// its range (1e300, 1e-200), both of which an accepted body or a valid answer may contain.

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AttemptRecord, Job, JobFinal, JobPlan, JobStatus, JobStore } from '@switchyard/core';
import { written } from './conditional-write.ts';

export interface DynamoDbJobStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** How long job items live after their last write (DynamoDB TTL). @default 30 days */
  ttlSeconds?: number;
  now?: () => number;
}

const FINAL = [':succeeded', ':failed', ':dead'];
const FINAL_VALUES = { ':succeeded': 'succeeded', ':failed': 'failed', ':dead': 'dead-lettered' };
/** The condition of a write that must not touch a missing or final job (with FINAL_VALUES). */
const EXISTS_NOT_FINAL = `attribute_exists(pk) AND NOT #status IN (${FINAL.join(', ')})`;

export const jobKey = (id: string): string => `job#${id}`;

export class DynamoDbJobStore implements JobStore {
  private readonly now: () => number;
  private readonly ttlSeconds: number;

  constructor(private readonly options: DynamoDbJobStoreOptions) {
    this.now = options.now ?? Date.now;
    this.ttlSeconds = options.ttlSeconds ?? 30 * 86_400;
  }

  private expiresAt(): number {
    return Math.floor(this.now() / 1000) + this.ttlSeconds;
  }

  /** A conditional update of job `id`; resolves to false when its condition failed (nothing written). */
  private async update(id: string, input: Omit<UpdateCommandInput, 'TableName' | 'Key'>): Promise<boolean> {
    return written(
      this.options.client.send(
        new UpdateCommand({ TableName: this.options.tableName, Key: { pk: jobKey(id) }, ...input }),
      ),
    );
  }

  async create(job: Job): Promise<boolean> {
    return written(
      this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { pk: jobKey(job.id), ...toItem(job), expires_at: this.expiresAt() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async get(id: string): Promise<Job | undefined> {
    const out = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: { pk: jobKey(id) }, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const { pk: _pk, expires_at: _ttl, ...rest } = out.Item;
    for (const k of Object.keys(rest)) if (k.startsWith('tries_')) delete rest[k];
    return fromItem(rest);
  }

  async start(id: string, plan: JobPlan, executionArn?: string): Promise<void> {
    await this.update(id, {
      UpdateExpression:
        'SET #plan = if_not_exists(#plan, :plan), #status = :running, updated_at = :now' +
        (executionArn ? ', execution_arn = :arn' : ''),
      ConditionExpression: EXISTS_NOT_FINAL,
      ExpressionAttributeNames: { '#plan': 'plan', '#status': 'status' },
      ExpressionAttributeValues: {
        ':plan': plan,
        ':running': 'running',
        ':now': this.now(),
        ...FINAL_VALUES,
        ...(executionArn ? { ':arn': executionArn } : {}),
      },
    });
  }

  async countAttempt(id: string, cursor: number): Promise<number> {
    const out = await this.options.client.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: { pk: jobKey(id) },
        UpdateExpression: 'ADD #tries :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#tries': `tries_${cursor}` },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.[`tries_${cursor}`] ?? 1);
  }

  /** Appends an attempt; an attempt that ends after the job became final is not recorded. */
  async appendAttempt(id: string, attempt: AttemptRecord): Promise<void> {
    await this.update(id, {
      UpdateExpression: 'SET attempts = list_append(if_not_exists(attempts, :empty), :a), updated_at = :now',
      ConditionExpression: EXISTS_NOT_FINAL,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':empty': [], ':a': [attempt], ':now': this.now(), ...FINAL_VALUES },
    });
  }

  async finish(id: string, final: JobFinal, onlyFrom?: JobStatus): Promise<boolean> {
    return this.update(id, {
      UpdateExpression: `SET #status = :status, updated_at = :now, expires_at = :ttl, #out = :out${
        final.charge ? ', charge = :charge' : ''
      }`,
      ConditionExpression: onlyFrom ? 'attribute_exists(pk) AND #status = :from' : EXISTS_NOT_FINAL,
      ExpressionAttributeNames: {
        '#status': 'status',
        '#out': final.status === 'succeeded' ? 'result_json' : 'error',
      },
      ExpressionAttributeValues: {
        ':status': final.status,
        ':now': this.now(),
        ':ttl': this.expiresAt(),
        ':out': final.status === 'succeeded' ? JSON.stringify(final.result ?? null) : final.error,
        ...(final.charge ? { ':charge': final.charge } : {}),
        ...(onlyFrom ? { ':from': onlyFrom } : FINAL_VALUES),
      },
    });
  }

  async markStarted(id: string, executionArn: string): Promise<boolean> {
    return this.update(id, {
      UpdateExpression:
        'SET #status = :running, execution_arn = :arn, started_at = if_not_exists(started_at, :now), updated_at = :now',
      ConditionExpression: 'attribute_exists(pk) AND #status IN (:queued, :running)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':running': 'running',
        ':queued': 'queued',
        ':arn': executionArn,
        ':now': this.now(),
      },
    });
  }
}

/** The item attributes of a job: the request body as JSON text. */
function toItem(job: Job): Record<string, unknown> {
  const { body, ...request } = job.request;
  return { ...job, request: { ...request, body_json: JSON.stringify(body ?? null) } };
}

/** A job from its item: JSON text parsed back (items written before it was text are read as they are). */
function fromItem(item: Record<string, unknown>): Job {
  const { result_json: resultJson, ...rest } = item;
  const { body_json: bodyJson, ...request } = (rest.request ?? {}) as Record<string, unknown>;
  const job = {
    ...rest,
    request: typeof bodyJson === 'string' ? { ...request, body: JSON.parse(bodyJson) as unknown } : request,
  } as unknown as Job;
  if (typeof resultJson === 'string') job.result = JSON.parse(resultJson) as unknown;
  return job;
}
