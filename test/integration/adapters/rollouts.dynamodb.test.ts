// DynamoDbRolloutStore against dynalite with the real SDK: records guarded by rev, read-modify-
// write that survives concurrent writers, and the one-rollout-per-canary lock.
import { DynamoDbRolloutStore } from '@switchyard/adapters';
import type { ModelRollout } from '@switchyard/core';
import { ConflictError, RolloutRequestSchema } from '@switchyard/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../support/local-aws.ts';

let dynamo: LocalDynamo;
let store: DynamoDbRolloutStore;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(async () => {
  store = new DynamoDbRolloutStore({
    client: dynamo.client,
    tableName: await dynamo.createTable('rollouts'),
    now: () => 5,
  });
});

const rollout = (id: string, created = 1): ModelRollout => ({
  ...RolloutRequestSchema.parse({ policy: 'p', model: 'm', stable: 'v1', candidate: 'v2' }),
  id,
  status: 'running',
  created_at: created,
  updated_at: created,
  current_step: 0,
  history: [],
});

describe('DynamoDbRolloutStore', () => {
  it('creates once, reads with a rev, lists newest first (lock items left out)', async () => {
    await store.create(rollout('r1', 1));
    await store.create(rollout('r2', 2));
    await expect(store.create(rollout('r1'))).rejects.toBeInstanceOf(ConflictError);
    await store.lock('p', 'm', 'r2');
    expect(await store.get('r1')).toMatchObject({ rev: 1, rollout: { id: 'r1', status: 'running' } });
    expect((await store.list()).map((r) => r.id)).toEqual(['r2', 'r1']);
    expect(await store.get('nope')).toBeUndefined();
  });

  it('save() writes only over the expected rev; update() retries under concurrent writers', async () => {
    await store.create(rollout('r1'));
    expect(await store.save({ ...rollout('r1'), current_step: 1 }, 1)).toBe(2);
    expect(await store.save({ ...rollout('r1'), current_step: 9 }, 1)).toBeUndefined();
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        store.update('r1', (r) => ({
          ...(r as ModelRollout),
          history: [
            ...(r as ModelRollout).history,
            {
              index: i,
              percent: 1,
              started_at: i,
              baseline: {
                candidate: { requests: 0, failures: 0, hist: [] },
                stable: { requests: 0, failures: 0, hist: [] },
              },
              evaluations: 0,
            },
          ],
        })),
      ),
    );
    const stored = await store.get('r1');
    expect(stored?.rollout.history.map((h) => h.index).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(stored?.rev).toBe(7);
    // A change that returns undefined writes nothing.
    await store.update('r1', () => undefined);
    expect((await store.get('r1'))?.rev).toBe(7);
  });

  it('locks one rollout per (policy, model); the holder may take it again; a finished one can be taken over', async () => {
    expect(await store.lock('p', 'm', 'r1')).toBeUndefined();
    expect(await store.lock('p', 'm', 'r1')).toBeUndefined();
    expect(await store.lock('p', 'm', 'r2')).toBe('r1');
    expect(await store.lock('p', 'other', 'r2')).toBeUndefined();
    expect(await store.lock('p', 'm', 'r3', 'r1')).toBeUndefined();
    await store.unlock('p', 'm', 'r1'); // not the holder any more: no effect
    expect(await store.lock('p', 'm', 'r4')).toBe('r3');
    await store.unlock('p', 'm', 'r3');
    expect(await store.lock('p', 'm', 'r4')).toBeUndefined();
  });
});
