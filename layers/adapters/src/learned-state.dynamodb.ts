// The learned router's state (core LearnedState) as one item of the decisions table, under the
// key `~learned` (request ids cannot start with `~`), the state as JSON (validated on read). The
// refit function writes it; routers read it through CachedLearnedState with their snapshot's TTL,
// compiled once per load (A⁻¹ and θ per arm). The refit writes conditionally on the revision it
// read (item attribute `rev`), so two racing refits never both fold the same records. No state yet: the learned strategy uses priors.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CompiledLearnedState, LearnedState } from '@switchyard/core';
import { compileLearnedState, LearnedStateSchema } from '@switchyard/core';
import { written } from './conditional-write.ts';
import { DECISIONS_TABLE } from './tables.ts';
import { TtlCache } from './ttl-cache.ts';

export interface DynamoDbLearnedStateStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
}

export class DynamoDbLearnedStateStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: DynamoDbLearnedStateStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async get(): Promise<LearnedState | undefined> {
    const got = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { [DECISIONS_TABLE.partitionKey]: DECISIONS_TABLE.learnedStateKey },
      }),
    );
    const text = got.Item?.state;
    if (typeof text !== 'string') return undefined;
    return LearnedStateSchema.parse(JSON.parse(text));
  }

  /**
   * Writes `state` (its `rev` as given). With `expectedRev`, only over the stored state of that
   * revision (none stored counts as revision 0): false when another refit wrote first.
   */
  async put(state: LearnedState, options: { expectedRev?: number } = {}): Promise<boolean> {
    const { expectedRev } = options;
    return written(
      this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            [DECISIONS_TABLE.partitionKey]: DECISIONS_TABLE.learnedStateKey,
            state: JSON.stringify(LearnedStateSchema.parse(state)),
            updated_at: state.updated_at,
            events: state.events,
            rev: state.rev,
          },
          ...(expectedRev === undefined
            ? {}
            : expectedRev === 0
              ? {
                  ConditionExpression:
                    'attribute_not_exists(#pk) OR attribute_not_exists(#rev) OR #rev = :rev',
                  ExpressionAttributeNames: { '#pk': DECISIONS_TABLE.partitionKey, '#rev': 'rev' },
                  ExpressionAttributeValues: { ':rev': 0 },
                }
              : {
                  ConditionExpression: '#rev = :rev',
                  ExpressionAttributeNames: { '#rev': 'rev' },
                  ExpressionAttributeValues: { ':rev': expectedRev },
                }),
        }),
      ),
    );
  }
}

export interface CachedLearnedStateOptions {
  source: { get(): Promise<LearnedState | undefined> };
  ttlMs: number;
  now: () => number;
  onStaleError?: (error: unknown) => void;
}

/** The compiled learned state, reloaded at most every `ttlMs` (stale while a reload fails). */
export class CachedLearnedState {
  readonly #cache: TtlCache<CompiledLearnedState | undefined>;

  constructor(options: CachedLearnedStateOptions) {
    const { source, ...rest } = options;
    this.#cache = new TtlCache({
      ...rest,
      load: async () => {
        const state = await source.get();
        return state === undefined ? undefined : compileLearnedState(state);
      },
    });
  }

  get(): Promise<CompiledLearnedState | undefined> {
    return this.#cache.get();
  }
}
