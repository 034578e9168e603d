// Rollout records over a DynamoDB table keyed by `id`: `{id, kind: 'rollout', doc, rev,
// updated_at}` per rollout (doc: the core's Rollout), and a lock item `{id: 'lock#<policy>#<model>',
// kind: 'lock', rollout_id}` while a rollout manages that canary entry, so two never fight over
// one. Every write of a rollout is conditional on its `rev`; `update` retries read-modify-write.
//
// Why a table of its own: rollouts are operational history with their own lifecycle, only the
// admin function and the rollout steps may read or write them (the router never does), and they
// are not registry documents validated as one registry.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Rollout } from '@switchyard/core';
import { ConflictError } from '@switchyard/core';
import { isConditionFailure, written } from './conditional-write.ts';
import { ROLLOUTS_TABLE } from './tables.ts';

export interface DynamoDbRolloutStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  now?: () => number;
}

const lockId = (policy: string, model: string): string => `lock#${policy}#${model}`;
/** A rollout's item: the record (`doc`) at revision `rev`. */
const rolloutItem = (doc: Rollout, rev: number, now: number) => ({
  [ROLLOUTS_TABLE.partitionKey]: doc.id,
  kind: 'rollout',
  doc,
  rev,
  updated_at: now,
});
/** Read-modify-write attempts of `update` before it gives up with a ConflictError. */
const UPDATE_ATTEMPTS = 8;

export class DynamoDbRolloutStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => number;

  constructor(options: DynamoDbRolloutStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#now = options.now ?? Date.now;
  }

  /** Stores a new rollout; a ConflictError when the id is taken. */
  async create(rollout: Rollout): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: rolloutItem(rollout, 1, this.#now()),
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': ROLLOUTS_TABLE.partitionKey },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err))
        throw new ConflictError(`rollout ${rollout.id} already exists`, { cause: err });
      throw err;
    }
  }

  async get(id: string): Promise<{ rollout: Rollout; rev: number } | undefined> {
    const out = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { [ROLLOUTS_TABLE.partitionKey]: id },
        ConsistentRead: true,
      }),
    );
    const item = out.Item;
    if (item?.kind !== 'rollout') return undefined;
    return { rollout: item.doc as Rollout, rev: Number(item.rev ?? 0) };
  }

  /** Every rollout, newest first. */
  async list(): Promise<Rollout[]> {
    const out: Rollout[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new ScanCommand({
          TableName: this.#tableName,
          ExclusiveStartKey: start,
          FilterExpression: '#kind = :rollout',
          ExpressionAttributeNames: { '#kind': 'kind' },
          ExpressionAttributeValues: { ':rollout': 'rollout' },
        }),
      );
      for (const item of page.Items ?? []) out.push(item.doc as Rollout);
      start = page.LastEvaluatedKey;
    } while (start);
    return out.sort((a, b) => b.created_at - a.created_at);
  }

  /** Writes `rollout` if its stored rev is still `expectedRev`; resolves to the new rev, or undefined on a conflict. */
  async save(rollout: Rollout, expectedRev: number): Promise<number | undefined> {
    const now = this.#now();
    const saved = await written(
      this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: rolloutItem({ ...rollout, updated_at: now }, expectedRev + 1, now),
          ConditionExpression: '#rev = :expected',
          ExpressionAttributeNames: { '#rev': 'rev' },
          ExpressionAttributeValues: { ':expected': expectedRev },
        }),
      ),
    );
    return saved ? expectedRev + 1 : undefined;
  }

  /**
   * Read-modify-write of one rollout: `change` gets the current record and returns the new one
   * (or undefined to leave it); retried while another writer gets in between. Resolves to the
   * record as stored afterwards.
   */
  async update(id: string, change: (rollout: Rollout) => Rollout | undefined): Promise<Rollout> {
    for (let attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt++) {
      const current = await this.get(id);
      if (!current) throw new Error(`rollout ${id} does not exist`);
      const next = change(current.rollout);
      if (next === undefined) return current.rollout;
      if ((await this.save(next, current.rev)) !== undefined) return next;
    }
    throw new ConflictError(`rollout ${id} kept changing under concurrent writers`);
  }

  /**
   * Takes the lock of (policy, model) for `rolloutId` (from `takeOverFrom` if that one holds it);
   * resolves to the holder's id when another rollout has it.
   */
  async lock(
    policy: string,
    model: string,
    rolloutId: string,
    takeOverFrom?: string,
  ): Promise<string | undefined> {
    const taken = await written(
      this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { [ROLLOUTS_TABLE.partitionKey]: lockId(policy, model), kind: 'lock', rollout_id: rolloutId },
          ConditionExpression: `attribute_not_exists(#id) OR rollout_id = :mine${takeOverFrom !== undefined ? ' OR rollout_id = :from' : ''}`,
          ExpressionAttributeNames: { '#id': ROLLOUTS_TABLE.partitionKey },
          ExpressionAttributeValues: {
            ':mine': rolloutId,
            ...(takeOverFrom !== undefined ? { ':from': takeOverFrom } : {}),
          },
        }),
      ),
    );
    if (taken) return undefined;
    const holder = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { [ROLLOUTS_TABLE.partitionKey]: lockId(policy, model) },
        ConsistentRead: true,
      }),
    );
    return String(holder.Item?.rollout_id ?? 'another rollout');
  }

  /** Releases the lock if `rolloutId` holds it (idempotent). */
  async unlock(policy: string, model: string, rolloutId: string): Promise<void> {
    await written(
      this.#client.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: { [ROLLOUTS_TABLE.partitionKey]: lockId(policy, model) },
          ConditionExpression: 'rollout_id = :mine',
          ExpressionAttributeValues: { ':mine': rolloutId },
        }),
      ),
    );
  }
}
