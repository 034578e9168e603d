// HealthStore over a DynamoDB table keyed by `endpoint`: one item per endpoint holding the
// EndpointHealth fields (same snake_case names), passive-outcome counters and `expires_at`
// (epoch seconds, the table's TTL attribute).
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EndpointHealth, HealthSnapshot, HealthStore, Outcome } from '@switchyard/core';
import type { LatencyEwma } from './latency-ewma.ts';
import { foldLatencyEwma, summariseOutcomes } from './latency-ewma.ts';
import { HEALTH_TABLE } from './tables.ts';

export interface DynamoDbHealthStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** How long an item lives after its last write (the TTL). @default 86_400 (a day) */
  ttlSeconds?: number;
  now?: () => number;
}

const HEALTH_FIELDS = [
  'status',
  'checked_at',
  'latency_ms',
  'latency_ewma_ms',
  'latency_peak_ewma_ms',
  'latency_p95_ms',
  'error_rate',
  'inflight',
  'circuit',
  'circuit_opened_at',
  'reason',
] as const satisfies ReadonlyArray<Exclude<keyof EndpointHealth, 'endpoint'>>;

/**
 * Conditional attempts of the EWMA's read-modify-write when another writer got in between; after
 * them the write goes through unconditionally (an EWMA may lose a sample, never the counters).
 */
const EWMA_CONDITIONAL_ATTEMPTS = 5;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Picks the EndpointHealth fields of a stored item, filling the required ones when missing. */
export function healthFromItem(item: Record<string, unknown>): EndpointHealth {
  const health: Record<string, unknown> = { endpoint: String(item[HEALTH_TABLE.partitionKey]) };
  for (const field of HEALTH_FIELDS) {
    if (item[field] !== undefined && item[field] !== null) health[field] = item[field];
  }
  health.status ??= 'unknown';
  health.checked_at ??= 0;
  health.circuit ??= 'closed';
  return health as unknown as EndpointHealth;
}

export class DynamoDbHealthStore implements HealthStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #ttlSeconds: number;
  readonly #now: () => number;

  constructor(options: DynamoDbHealthStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#ttlSeconds = options.ttlSeconds ?? 86_400;
    this.#now = options.now ?? Date.now;
  }

  async snapshot(): Promise<HealthSnapshot> {
    const endpoints: Record<string, EndpointHealth> = {};
    const nowSeconds = this.#now() / 1000;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#client.send(
        new ScanCommand({ TableName: this.#tableName, ExclusiveStartKey: start, ConsistentRead: true }),
      );
      for (const item of out.Items ?? []) {
        // TTL deletion is lazy: skip expired items the service has not removed yet.
        const expires = item[HEALTH_TABLE.ttlAttribute];
        if (typeof expires === 'number' && expires <= nowSeconds) continue;
        const health = healthFromItem(item);
        endpoints[health.endpoint] = health;
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return { endpoints };
  }

  /**
   * Writes the given fields of one endpoint's health and refreshes `expires_at`. Fields not
   * given (e.g. the EWMA the router maintains) are kept, except `reason`, which belongs to
   * `status` and is removed when absent.
   */
  async put(health: EndpointHealth): Promise<void> {
    const names: Record<string, string> = { '#expires': HEALTH_TABLE.ttlAttribute };
    const values: Record<string, unknown> = { ':expires': this.#expiresAt(health.checked_at) };
    const sets = ['#expires = :expires'];
    const removes: string[] = [];
    HEALTH_FIELDS.forEach((field, i) => {
      const value = health[field];
      if (value !== undefined) {
        names[`#f${i}`] = field;
        values[`:f${i}`] = value;
        sets.push(`#f${i} = :f${i}`);
      } else if (field === 'reason') {
        names[`#f${i}`] = field;
        removes.push(`#f${i}`);
      }
    });
    await this.#client.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: { [HEALTH_TABLE.partitionKey]: health.endpoint },
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /**
   * Folds passive outcomes into each endpoint's item: `latency_ewma_ms` and
   * `latency_peak_ewma_ms` (see latency-ewma.ts; a conditional read-modify-write, retried with
   * jitter, so concurrent routers rarely lose a sample), counters `outcome_requests` / `outcome_failures` (atomic ADD)
   * and `last_outcome_at`. An endpoint with no item yet gets status `unknown`, circuit `closed`.
   */
  async recordOutcomes(outcomes: readonly Outcome[]): Promise<void> {
    await Promise.all(summariseOutcomes(outcomes).map((s) => this.#recordSummary(s)));
  }

  async #recordSummary(summary: ReturnType<typeof summariseOutcomes>[number]): Promise<void> {
    const key = { [HEALTH_TABLE.partitionKey]: summary.endpoint };
    for (let attempt = 1; ; attempt++) {
      let prev: LatencyEwma = {};
      const names: Record<string, string> = {
        '#expires': HEALTH_TABLE.ttlAttribute,
        '#status': 'status',
        '#circuit': 'circuit',
        '#checked': 'checked_at',
        '#last': 'last_outcome_at',
        '#requests': 'outcome_requests',
        '#failures': 'outcome_failures',
      };
      const values: Record<string, unknown> = {
        ':expires': this.#expiresAt(summary.lastAt),
        ':unknown': 'unknown',
        ':closed': 'closed',
        ':zero': 0,
        ':last': summary.lastAt,
        ':requests': summary.requests,
        ':failures': summary.failures,
      };
      const sets = [
        '#expires = :expires',
        '#status = if_not_exists(#status, :unknown)',
        '#circuit = if_not_exists(#circuit, :closed)',
        '#checked = if_not_exists(#checked, :zero)',
        '#last = :last',
      ];
      let condition: string | undefined;
      const conditional = attempt <= EWMA_CONDITIONAL_ATTEMPTS;
      if (summary.latencySamplesMs.length > 0) {
        const current = await this.#client.send(
          new GetCommand({
            TableName: this.#tableName,
            Key: key,
            ConsistentRead: true,
            ProjectionExpression: 'latency_ewma_ms, latency_peak_ewma_ms',
          }),
        );
        prev = (current.Item ?? {}) as LatencyEwma;
        const next = foldLatencyEwma(prev, summary.latencySamplesMs);
        names['#ewma'] = 'latency_ewma_ms';
        names['#peak'] = 'latency_peak_ewma_ms';
        values[':ewma'] = next.latency_ewma_ms;
        values[':peak'] = next.latency_peak_ewma_ms;
        sets.push('#ewma = :ewma', '#peak = :peak');
        if (!conditional) {
          condition = undefined;
        } else if (prev.latency_ewma_ms === undefined) {
          condition = 'attribute_not_exists(#ewma)';
        } else {
          values[':prev'] = prev.latency_ewma_ms;
          condition = '#ewma = :prev';
        }
      }
      try {
        await this.#client.send(
          new UpdateCommand({
            TableName: this.#tableName,
            Key: key,
            UpdateExpression: `SET ${sets.join(', ')} ADD #requests :requests, #failures :failures`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ...(condition ? { ConditionExpression: condition } : {}),
          }),
        );
        return;
      } catch (err) {
        const conflict = err instanceof Error && err.name === 'ConditionalCheckFailedException';
        if (!conflict || !conditional) throw err;
        await sleep(Math.random() * 10 * attempt);
      }
    }
  }

  #expiresAt(atMs: number): number {
    return Math.floor(Math.max(atMs, this.#now()) / 1000) + this.#ttlSeconds;
  }
}
