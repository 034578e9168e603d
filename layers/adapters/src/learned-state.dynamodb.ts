// The learned router's state (core LearnedState) as one item of the decisions table, under the
// key `~learned` (request ids cannot start with `~`), the state as JSON (validated on read). The
// refit function writes it; routers read it through CachedLearnedState with their snapshot's TTL,
// compiled once per load (A⁻¹ and θ per arm). No state yet: the learned strategy uses priors.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CompiledLearnedState, LearnedState } from '@switchyard/core';
import { compileLearnedState, LearnedStateSchema } from '@switchyard/core';
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

  async put(state: LearnedState): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          [DECISIONS_TABLE.partitionKey]: DECISIONS_TABLE.learnedStateKey,
          state: JSON.stringify(LearnedStateSchema.parse(state)),
          updated_at: state.updated_at,
          events: state.events,
        },
      }),
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
