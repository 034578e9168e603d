import { fileURLToPath } from 'node:url';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbModelRegistry, InvalidRegistryError, loadRegistryFile } from '@switchyard/adapters';
import type { Registry, RegistryInput } from '@switchyard/core';
import { ConflictError, InvalidRequestError, RegistrySchema } from '@switchyard/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../support/local-aws.ts';

const EXAMPLE = fileURLToPath(new URL('../../../registry.example.yaml', import.meta.url));

let dynamo: LocalDynamo;
let tableName: string;
let now: number;
let store: DynamoDbModelRegistry;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(async () => {
  tableName = await dynamo.createTable('registry');
  now = 1_700_000_000_000;
  store = new DynamoDbModelRegistry({ client: dynamo.client, tableName, now: () => now });
});

const model = (
  id: string,
  version = 'v1',
  extra: Partial<RegistryInput['models'] extends (infer M)[] | undefined ? M : never> = {},
) => ({
  id,
  version,
  tasks: ['chat'],
  context_window: 4096,
  regions: ['us-east-1'],
  ...extra,
});
const endpoint = (id: string, modelId: string) => ({
  id,
  model: modelId,
  version: 'v1',
  kind: 'openai-http' as const,
  target: `http://${id}:8000/v1`,
  region: 'us-east-1',
});

const byKey = (r: Registry) => ({
  models: [...r.models].sort((a, b) => `${a.id}@${a.version}`.localeCompare(`${b.id}@${b.version}`)),
  endpoints: [...r.endpoints].sort((a, b) => a.id.localeCompare(b.id)),
  policies: [...r.policies].sort((a, b) => a.name.localeCompare(b.name)),
  domains: [...r.domains].sort((a, b) => a.name.localeCompare(b.name)),
});

async function rawItems(pk: string) {
  const out = await dynamo.client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
    }),
  );
  return out.Items ?? [];
}

describe('DynamoDbModelRegistry', () => {
  it('round-trips the example registry through replace() and load()', async () => {
    const { registry } = await loadRegistryFile(EXAMPLE);
    await store.replace(registry);
    const loaded = await store.load();
    expect(byKey(loaded)).toEqual(byKey(registry));
    const [item] = (await rawItems('model')).filter((i) => i.sk === 'llama-3-8b@v1');
    expect(item).toMatchObject({ pk: 'model', sk: 'llama-3-8b@v1', updated_at: now, rev: 1 });
    expect(item?.doc).toEqual(registry.models.find((m) => m.id === 'llama-3-8b'));
    // Domain lexicons are items of their own, keyed by name.
    expect((await rawItems('domain')).map((i) => i.sk)).toEqual(['finance', 'legal', 'medical']);
    expect(loaded.domains.find((d) => d.name === 'legal')?.terms['breach of contract']).toBe(3);
  });

  it('replace() deletes domains no longer present', async () => {
    const lexicon = (name: string) => ({ name, terms: { [`${name}-term`]: 1 } });
    await store.replace(RegistrySchema.parse({ domains: [lexicon('legal'), lexicon('tax')] }));
    await store.replace(RegistrySchema.parse({ domains: [lexicon('tax')] }));
    expect((await store.load()).domains).toEqual([{ name: 'tax', terms: { 'tax-term': 1 }, min_score: 0.5 }]);
    expect((await rawItems('domain')).map((i) => [i.sk, i.rev])).toEqual([['tax', 2]]);
  });

  it('replace() deletes items no longer present and bumps rev on the ones kept', async () => {
    const first = RegistrySchema.parse({
      models: [model('a'), model('b')],
      endpoints: [endpoint('ea', 'a'), endpoint('eb', 'b')],
      policies: [{ name: 'p1' }, { name: 'p2' }],
    });
    await store.replace(first);
    now += 1_000;
    const second = RegistrySchema.parse({
      models: [model('a')],
      endpoints: [endpoint('ea', 'a')],
      policies: [{ name: 'p2' }],
    });
    await store.replace(second);
    expect(byKey(await store.load())).toEqual(byKey(second));
    expect(await rawItems('model')).toEqual([
      expect.objectContaining({ sk: 'a@v1', rev: 2, updated_at: now }),
    ]);
    expect((await rawItems('policy')).map((i) => i.sk)).toEqual(['p2']);
  });

  it('writes registries larger than one BatchWrite and pages through large partitions', async () => {
    // 80 models of ~19 KB: more than two 25-item batches and more than one 1 MB query page.
    const domains = Array.from({ length: 300 }, (_, i) => `domain-${i}-${'d'.repeat(50)}`);
    const big = RegistrySchema.parse({
      models: Array.from({ length: 80 }, (_, i) =>
        model(`m-${String(i).padStart(2, '0')}`, 'v1', { domains }),
      ),
    });
    await store.replace(big);
    const loaded = await store.load();
    expect(loaded.models).toHaveLength(80);
    expect(byKey(loaded)).toEqual(byKey(big));
    await store.replace(RegistrySchema.parse({}));
    expect((await store.load()).models).toEqual([]);
  });

  it('rejects an invalid registry in replace() before writing anything', async () => {
    const bad = { models: [], endpoints: [endpoint('e', 'missing')], policies: [] } as unknown as Registry;
    await expect(store.replace(bad)).rejects.toThrow('registry: endpoints[0].model: unknown model "missing"');
    expect(await rawItems('endpoint')).toEqual([]);
  });

  it('names the stored item and field when a doc is invalid', async () => {
    await store.replace(RegistrySchema.parse({ models: [model('a')] }));
    await dynamo.client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: 'endpoint',
          sk: 'broken',
          doc: { ...endpoint('broken', 'a'), kind: 'lambda' },
          rev: 1,
          updated_at: now,
        },
      }),
    );
    const error = await store.load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRegistryError);
    expect((error as Error).message).toMatch(
      new RegExp(`^table ${tableName}: endpoint item "broken": kind: `),
    );
  });

  it('names the stored item of a cross-reference error', async () => {
    await dynamo.client.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: 'endpoint', sk: 'orphan', doc: endpoint('orphan', 'gone'), rev: 1, updated_at: now },
      }),
    );
    await expect(store.load()).rejects.toThrow(
      `table ${tableName}: endpoint item "orphan": model: unknown model "gone"`,
    );
  });

  it('refuses an item whose sort key does not match its doc', async () => {
    await dynamo.client.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: 'model', sk: 'a@v9', doc: model('a'), rev: 1, updated_at: now },
      }),
    );
    await expect(store.load()).rejects.toThrow('model item "a@v9": its doc is keyed "a@v1"');
  });

  it('putModel/putEndpoint/putPolicy validate, write one item and count revisions', async () => {
    const first = await store.putModel(model('a'));
    expect(first.rev).toBe(1);
    expect(first.doc.status).toBe('active');
    now += 5;
    expect((await store.putModel(model('a', 'v1', { context_window: 8192 }))).rev).toBe(2);
    expect((await store.putEndpoint(endpoint('ea', 'a'))).rev).toBe(1);
    expect((await store.putPolicy({ name: 'auto', match: { model: 'auto' } })).doc.strategy).toBe('weighted');
    const loaded = await store.load();
    expect(loaded.models[0]?.context_window).toBe(8192);
    expect(loaded.endpoints.map((e) => e.id)).toEqual(['ea']);
    expect(await rawItems('model')).toEqual([
      expect.objectContaining({ sk: 'a@v1', rev: 2, updated_at: now }),
    ]);

    const invalid = await store.putEndpoint({ ...endpoint('x', 'a'), weight: -1 }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(InvalidRequestError);
    expect((invalid as InvalidRequestError).message).toMatch(/^weight: /);
    expect((invalid as InvalidRequestError).status).toBe(400);
  });

  it('honours expectedRev for optimistic concurrency', async () => {
    await store.putPolicy({ name: 'p' }, { expectedRev: 0 });
    await expect(store.putPolicy({ name: 'p' }, { expectedRev: 0 })).rejects.toBeInstanceOf(ConflictError);
    await expect(store.putPolicy({ name: 'p', priority: 2 }, { expectedRev: 5 })).rejects.toThrow(
      'policy "p" was changed by someone else (rev mismatch)',
    );
    expect((await store.putPolicy({ name: 'p', priority: 2 }, { expectedRev: 1 })).rev).toBe(2);
    await expect(store.deleteItem('policy', 'p', { expectedRev: 1 })).rejects.toBeInstanceOf(ConflictError);
    expect(await store.deleteItem('policy', 'p', { expectedRev: 2 })).toBe(true);
  });

  it('deleteItem reports whether the item existed', async () => {
    await store.putModel(model('a'));
    expect(await store.deleteItem('model', 'a@v1')).toBe(true);
    expect(await store.deleteItem('model', 'a@v1')).toBe(false);
    expect((await store.load()).models).toEqual([]);
  });
});
