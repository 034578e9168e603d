// The rollout lifecycle over in-memory stores: the registry edits of each step, promotion and
// rollback, and convergence when a manual rollback races the workflow's steps (whichever step
// finds the rollout no longer running re-applies the rollback). And the step function's input check.
import { describe, expect, it } from 'vitest';
import { runRolloutStep } from '../../functions/rollout-steps/rollout-steps.service.ts';
import type { HealthRecord, RegistryItem, RolloutLifecycleDeps } from '../../layers/adapters/src/index.ts';
import { RolloutLifecycle } from '../../layers/adapters/src/index.ts';
import type { Registry, RegistryKind, Rollout } from '../../layers/core/src/index.ts';
import {
  ConflictError,
  EndpointSchema,
  ModelSchema,
  modelKey,
  PolicySchema,
  RegistrySchema,
  RolloutRequestSchema,
} from '../../layers/core/src/index.ts';

class MemoryRegistry {
  readonly items = new Map<string, RegistryItem>();
  constructor(registry: Registry) {
    for (const m of registry.models) this.set('model', modelKey(m.id, m.version), m);
    for (const e of registry.endpoints) this.set('endpoint', e.id, e);
    for (const p of registry.policies) this.set('policy', p.name, p);
  }
  private set(kind: RegistryKind, sk: string, doc: unknown, expectedRev?: number): number {
    const key = `${kind}/${sk}`;
    const rev = this.items.get(key)?.rev ?? 0;
    if (expectedRev !== undefined && expectedRev !== rev) throw new ConflictError('rev mismatch');
    this.items.set(key, { pk: kind, sk, doc, updated_at: 0, rev: rev + 1 });
    return rev + 1;
  }
  doc(kind: RegistryKind, sk: string): unknown {
    return this.items.get(`${kind}/${sk}`)?.doc;
  }
  async load(): Promise<Registry> {
    const docs = (kind: RegistryKind) =>
      [...this.items.values()].filter((i) => i.pk === kind).map((i) => i.doc);
    return RegistrySchema.parse({
      models: docs('model'),
      endpoints: docs('endpoint'),
      policies: docs('policy'),
    });
  }
  async item(kind: RegistryKind, key: string) {
    return this.items.get(`${kind}/${key}`);
  }
  async putPolicy(input: unknown, o: { expectedRev?: number } = {}) {
    const doc = PolicySchema.parse(input);
    return { doc, rev: this.set('policy', doc.name, doc, o.expectedRev) };
  }
  async putModel(input: unknown, o: { expectedRev?: number } = {}) {
    const doc = ModelSchema.parse(input);
    return { doc, rev: this.set('model', modelKey(doc.id, doc.version), doc, o.expectedRev) };
  }
}

class MemoryRollouts {
  readonly records = new Map<string, { rollout: Rollout; rev: number }>();
  readonly locks = new Map<string, string>();
  async create(r: Rollout) {
    this.records.set(r.id, { rollout: structuredClone(r), rev: 1 });
  }
  async get(id: string) {
    const r = this.records.get(id);
    return r ? { rollout: structuredClone(r.rollout), rev: r.rev } : undefined;
  }
  async list() {
    return [...this.records.values()].map((r) => r.rollout);
  }
  async update(id: string, change: (r: Rollout) => Rollout | undefined) {
    const current = this.records.get(id) as { rollout: Rollout; rev: number };
    const next = change(structuredClone(current.rollout));
    if (!next) return current.rollout;
    this.records.set(id, { rollout: next, rev: current.rev + 1 });
    return next;
  }
  async lock(policy: string, model: string, id: string, from?: string) {
    const k = `${policy}/${model}`;
    const holder = this.locks.get(k);
    if (holder === undefined || holder === id || holder === from) {
      this.locks.set(k, id);
      return undefined;
    }
    return holder;
  }
  async unlock(policy: string, model: string, id: string) {
    if (this.locks.get(`${policy}/${model}`) === id) this.locks.delete(`${policy}/${model}`);
  }
}

const REGISTRY = RegistrySchema.parse({
  models: [
    { id: 'm', version: 'v1', tasks: ['chat'], context_window: 1000, regions: ['r'] },
    {
      id: 'm',
      version: 'v2',
      tasks: ['chat'],
      context_window: 1000,
      regions: ['r'],
      status: 'failed',
      status_reason: 'old',
    },
  ],
  endpoints: [
    EndpointSchema.parse({
      id: 'e1',
      model: 'm',
      version: 'v1',
      kind: 'openai-http',
      target: 'x',
      region: 'r',
    }),
  ],
  policies: [{ name: 'p', canary: [{ model: 'm', stable: 'v1' }] }],
});

function setup() {
  const registry = new MemoryRegistry(REGISTRY);
  const rollouts = new MemoryRollouts();
  const stopped: string[] = [];
  const deps: RolloutLifecycleDeps = {
    rollouts,
    registry: registry as unknown as RolloutLifecycleDeps['registry'],
    health: { records: async (): Promise<HealthRecord[]> => [] },
    workflow: {
      start: async (id) => `arn:exec:${id}`,
      stop: async (arn) => {
        stopped.push(arn);
        return true;
      },
    },
    now: () => 1_000,
    newId: () => 'r1',
  };
  return { registry, rollouts, stopped, deps, lifecycle: new RolloutLifecycle(deps) };
}

const request = RolloutRequestSchema.parse({
  policy: 'p',
  model: 'm',
  stable: 'v1',
  candidate: 'v2',
  steps: [10, 100],
});
const canary = (registry: MemoryRegistry) => (registry.doc('policy', 'p') as { canary: unknown[] }).canary;
const status = (registry: MemoryRegistry, v: string) =>
  (registry.doc('model', `m@${v}`) as { status: string }).status;

describe('rollout lifecycle', () => {
  it('stages a failed candidate, sets each step weight, and promotes', async () => {
    const { registry, lifecycle, rollouts } = setup();
    const r = await lifecycle.start(request);
    expect(r).toMatchObject({ id: 'r1', status: 'running', execution_arn: 'arn:exec:r1' });
    expect(rollouts.locks.get('p/m')).toBe('r1');
    expect(await lifecycle.beginStep('r1', 0)).toEqual({ weight: 0.1, is_last: false, stopped: false });
    expect(status(registry, 'v2')).toBe('staged');
    expect(canary(registry)).toEqual([{ model: 'm', stable: 'v1', candidate: 'v2', weight: 0.1 }]);
    expect(await lifecycle.beginStep('r1', 1)).toEqual({ weight: 1, is_last: true, stopped: false });
    const done = await lifecycle.promote('r1');
    expect(done.status).toBe('promoted');
    expect(canary(registry)).toEqual([{ model: 'm', stable: 'v2', weight: 0 }]);
    expect(status(registry, 'v2')).toBe('active');
    expect(status(registry, 'v1')).toBe('staged');
    expect(rollouts.locks.size).toBe(0);
  });

  it('a step that finds the rollout rolled back by an operator re-applies the rollback and stops', async () => {
    const { registry, lifecycle, stopped } = setup();
    await lifecycle.start(request);
    await lifecycle.beginStep('r1', 0);
    const manual = await lifecycle.rollbackNow('r1', 'rolled back by an operator');
    expect(stopped).toEqual(['arn:exec:r1']);
    expect(manual.outcome).toMatchObject({ status: 'rolled-back', by: 'manual' });
    expect(canary(registry)).toEqual([{ model: 'm', stable: 'v1', candidate: 'v2', weight: 0 }]);
    // A step already in flight writes its weight after the rollback...
    const registryPolicy = PolicySchema.parse(registry.doc('policy', 'p'));
    await registry.putPolicy({
      ...registryPolicy,
      canary: [{ model: 'm', stable: 'v1', candidate: 'v2', weight: 0.1 }],
    });
    // ...and the next step converges on the rollback.
    expect(await lifecycle.beginStep('r1', 1)).toMatchObject({ stopped: true });
    expect(canary(registry)).toEqual([{ model: 'm', stable: 'v1', candidate: 'v2', weight: 0 }]);
    expect(status(registry, 'v2')).toBe('failed');
    expect((await lifecycle.evaluate('r1', 0, 0)).verdict).toBe('stopped');
    // Promotion after a rollback keeps the rollback.
    expect((await lifecycle.promote('r1')).status).toBe('rolled-back');
    expect(canary(registry)).toEqual([{ model: 'm', stable: 'v1', candidate: 'v2', weight: 0 }]);
  });

  it('the workflow rollback records the breached gate; a promoted rollout cannot be rolled back', async () => {
    const { registry, lifecycle } = setup();
    await lifecycle.start(request);
    await lifecycle.beginStep('r1', 0);
    const r = await lifecycle.rollbackFromWorkflow('r1', {
      gate: { verdict: 'breach', reason: 'error rate: 50%' },
    });
    expect(r.outcome).toMatchObject({ by: 'gates', reason: 'gate breached: error rate: 50%' });
    expect(r.history[0]?.result).toBe('breached');
    expect((registry.doc('model', 'm@v2') as { status_reason: string }).status_reason).toBe(
      'rollout r1 rolled back: gate breached: error rate: 50%',
    );
    const again = setup();
    await again.lifecycle.start(request);
    await again.lifecycle.promote('r1');
    await expect(again.lifecycle.rollbackNow('r1')).rejects.toBeInstanceOf(ConflictError);
  });

  it('one rollout per canary: a second start is a conflict naming the first', async () => {
    const { lifecycle, deps } = setup();
    await lifecycle.start(request);
    const other = new RolloutLifecycle({ ...deps, newId: () => 'r2' });
    await expect(other.start(request)).rejects.toThrow(/rollout r1 is already managing/);
  });
});

describe('rollout step function input', () => {
  const noScaling = {
    suspend: () => Promise.reject(new Error('not a scale-in step')),
    resume: () => Promise.reject(new Error('not a scale-in step')),
  };
  it('refuses an unknown action or a missing field (the state machine then rolls back)', async () => {
    const { lifecycle } = setup();
    await expect(
      runRolloutStep(lifecycle, { action: 'explode', rollout_id: 'r1' }, noScaling),
    ).rejects.toThrow(/action/);
    await expect(
      runRolloutStep(lifecycle, { action: 'evaluate', rollout_id: 'r1', step_index: 0 }, noScaling),
    ).rejects.toThrow(/extensions/);
  });
});
