// ModelRegistry over one DynamoDB table: pk = 'model' | 'endpoint' | 'policy' | 'domain', sk =
// the item's key (`id@version`, endpoint id, policy name, domain name), `doc` = the validated object, `updated_at` (epoch
// ms) and `rev` (incremented on every write). Reads validate with RegistrySchema and name the
// bad item; writes validate first.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  DomainLexicon,
  Endpoint,
  Model,
  ModelRegistry,
  Policy,
  Registry,
  RegistryKind,
} from '@switchyard/core';
import {
  ConflictError,
  EndpointSchema,
  formatIssues,
  InvalidRequestError,
  ModelSchema,
  modelKey,
  PolicySchema,
  RegistrySchema,
} from '@switchyard/core';
import type { WriteRequest } from './batch-write.ts';
import { batchWriteAll } from './batch-write.ts';
import { isConditionFailure } from './conditional-write.ts';
import { InvalidRegistryError } from './registry-error.ts';
import { REGISTRY_TABLE } from './tables.ts';

export interface DynamoDbModelRegistryOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  now?: () => number;
}

export interface RegistryWriteOptions {
  /** Optimistic concurrency: write only if the item's `rev` is this (0: only if it is new). */
  expectedRev?: number;
}

/** What the table stores: the admin API's kinds and the domain lexicons (written by replace). */
type StoredKind = RegistryKind | 'domain';

export interface RegistryItem {
  pk: StoredKind;
  sk: string;
  doc: unknown;
  updated_at: number;
  rev: number;
}

const SECTIONS = { model: 'models', endpoint: 'endpoints', policy: 'policies', domain: 'domains' } as const;
const KINDS: readonly StoredKind[] = ['model', 'endpoint', 'policy', 'domain'];

/** The sort key of a registry object: `id@version` for models, the id or name otherwise. */
export function registryItemKey(kind: 'model', doc: Model): string;
export function registryItemKey(kind: 'endpoint', doc: Endpoint): string;
export function registryItemKey(kind: 'policy', doc: Policy): string;
export function registryItemKey(kind: 'domain', doc: DomainLexicon): string;
export function registryItemKey(kind: StoredKind, doc: Model | Endpoint | Policy | DomainLexicon): string;
export function registryItemKey(kind: StoredKind, doc: Model | Endpoint | Policy | DomainLexicon): string {
  if (kind === 'model') {
    const m = doc as Model;
    return modelKey(m.id, m.version);
  }
  return kind === 'endpoint' ? (doc as Endpoint).id : (doc as Policy | DomainLexicon).name;
}

function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) =>
      typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part),
    '',
  );
}

export class DynamoDbModelRegistry implements ModelRegistry {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => number;

  constructor(options: DynamoDbModelRegistryOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#now = options.now ?? Date.now;
  }

  async load(): Promise<Registry> {
    const [models, endpoints, policies, domains] = await Promise.all(
      KINDS.map((kind) => this.#queryAll(kind)),
    );
    const byKind = {
      model: models ?? [],
      endpoint: endpoints ?? [],
      policy: policies ?? [],
      domain: domains ?? [],
    };
    const parsed = RegistrySchema.safeParse({
      models: byKind.model.map((i) => i.doc),
      endpoints: byKind.endpoint.map((i) => i.doc),
      policies: byKind.policy.map((i) => i.doc),
      domains: byKind.domain.map((i) => i.doc),
    });
    if (!parsed.success) {
      const detail = parsed.error.issues
        .map((issue) => {
          const [section, index, ...rest] = issue.path;
          const kind = KINDS.find((k) => SECTIONS[k] === section);
          const item = kind !== undefined && typeof index === 'number' ? byKind[kind][index] : undefined;
          if (!kind || !item) return `${pathText(issue.path)}: ${issue.message}`;
          const where = rest.length > 0 ? `${pathText(rest)}: ` : '';
          return `${kind} item "${item.sk}": ${where}${issue.message}`;
        })
        .join('; ');
      throw new InvalidRegistryError(`table ${this.#tableName}`, detail);
    }
    const registry = parsed.data;
    for (const kind of KINDS) {
      registry[SECTIONS[kind]].forEach((doc, i) => {
        const sk = byKind[kind][i]?.sk;
        const key = registryItemKey(kind, doc);
        if (sk !== key) {
          throw new InvalidRegistryError(
            `table ${this.#tableName}`,
            `${kind} item "${sk}": its doc is keyed "${key}"`,
          );
        }
      });
    }
    return registry;
  }

  /** Writes every item of `registry` and deletes the items it no longer has. */
  async replace(registry: Registry): Promise<void> {
    const parsed = RegistrySchema.safeParse(registry);
    if (!parsed.success) throw new InvalidRegistryError('registry', formatIssues(parsed.error));
    const existing = new Map<string, { pk: StoredKind; sk: string; rev: number }>();
    const current = await Promise.all(KINDS.map((kind) => this.#queryAll(kind, true)));
    for (const item of current.flat()) existing.set(`${item.pk}\u0000${item.sk}`, item);
    const now = this.#now();
    const requests: WriteRequest[] = [];
    const keep = new Set<string>();
    for (const kind of KINDS) {
      for (const doc of parsed.data[SECTIONS[kind]]) {
        const sk = registryItemKey(kind, doc);
        const id = `${kind}\u0000${sk}`;
        keep.add(id);
        const rev = (existing.get(id)?.rev ?? 0) + 1;
        requests.push({ PutRequest: { Item: { pk: kind, sk, doc, updated_at: now, rev } } });
      }
    }
    for (const [id, item] of existing) {
      if (!keep.has(id)) requests.push({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } });
    }
    await batchWriteAll(this.#client, this.#tableName, requests);
  }

  /** Validates with ModelSchema and writes one model version. Invalid input: InvalidRequestError. */
  async putModel(input: unknown, options?: RegistryWriteOptions): Promise<{ doc: Model; rev: number }> {
    return this.#put('model', validate(ModelSchema, input), options);
  }

  async putEndpoint(input: unknown, options?: RegistryWriteOptions): Promise<{ doc: Endpoint; rev: number }> {
    return this.#put('endpoint', validate(EndpointSchema, input), options);
  }

  async putPolicy(input: unknown, options?: RegistryWriteOptions): Promise<{ doc: Policy; rev: number }> {
    return this.#put('policy', validate(PolicySchema, input), options);
  }

  /** One stored item with its `rev` (for optimistic writes), unvalidated; undefined when absent. */
  async item(kind: RegistryKind, key: string): Promise<RegistryItem | undefined> {
    const out = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: { pk: kind, sk: key }, ConsistentRead: true }),
    );
    return out.Item as RegistryItem | undefined;
  }

  /** Every stored item of one kind with its `rev` and `updated_at`, unvalidated. */
  async items(kind: RegistryKind): Promise<RegistryItem[]> {
    return this.#queryAll(kind);
  }

  /** Deletes one item; resolves to whether it existed. */
  async deleteItem(kind: RegistryKind, key: string, options: RegistryWriteOptions = {}): Promise<boolean> {
    const condition = revCondition(options.expectedRev);
    try {
      const out = await this.#client.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: { pk: kind, sk: key },
          ReturnValues: 'ALL_OLD',
          ...condition,
        }),
      );
      return out.Attributes !== undefined;
    } catch (err) {
      throw conflictOr(err, kind, key);
    }
  }

  async #put<T extends Model | Endpoint | Policy>(
    kind: RegistryKind,
    doc: T,
    options: RegistryWriteOptions = {},
  ): Promise<{ doc: T; rev: number }> {
    const sk = registryItemKey(kind, doc);
    const condition = revCondition(options.expectedRev);
    try {
      const out = await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { pk: kind, sk },
          UpdateExpression: 'SET #doc = :doc, #updated = :now ADD #rev :one',
          ExpressionAttributeNames: {
            '#doc': 'doc',
            '#updated': 'updated_at',
            '#rev': 'rev',
            ...condition.ExpressionAttributeNames,
          },
          ExpressionAttributeValues: {
            ':doc': doc,
            ':now': this.#now(),
            ':one': 1,
            ...condition.ExpressionAttributeValues,
          },
          ...(condition.ConditionExpression ? { ConditionExpression: condition.ConditionExpression } : {}),
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return { doc, rev: Number(out.Attributes?.rev ?? 0) };
    } catch (err) {
      throw conflictOr(err, kind, sk);
    }
  }

  async #queryAll(kind: StoredKind, keysOnly = false): Promise<RegistryItem[]> {
    const items: RegistryItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: keysOnly
            ? { '#pk': REGISTRY_TABLE.partitionKey, '#sk': REGISTRY_TABLE.sortKey, '#rev': 'rev' }
            : { '#pk': REGISTRY_TABLE.partitionKey },
          ExpressionAttributeValues: { ':pk': kind },
          ...(keysOnly ? { ProjectionExpression: '#pk, #sk, #rev' } : {}),
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const raw of out.Items ?? []) items.push(raw as RegistryItem);
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}

interface SafeParser<T> {
  safeParse(
    input: unknown,
  ): { success: true; data: T } | { success: false; error: Parameters<typeof formatIssues>[0] };
}

function validate<T>(schema: SafeParser<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new InvalidRequestError(formatIssues(parsed.error));
  return parsed.data;
}

interface Condition {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

function revCondition(expectedRev: number | undefined): Condition {
  if (expectedRev === undefined) return {};
  if (expectedRev === 0) {
    return { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'pk' } };
  }
  return {
    ConditionExpression: '#rev = :expected',
    ExpressionAttributeNames: { '#rev': 'rev' },
    ExpressionAttributeValues: { ':expected': expectedRev },
  };
}

function conflictOr(err: unknown, kind: RegistryKind, key: string): unknown {
  if (isConditionFailure(err)) {
    return new ConflictError(`${kind} "${key}" was changed by someone else (rev mismatch)`, { cause: err });
  }
  return err;
}
