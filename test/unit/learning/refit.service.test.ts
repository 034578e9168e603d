// The refit service over in-memory ports: the window it reads, the events and λ it refits, and
// the state it writes (incrementally from the stored watermark, conditionally on its revision).
import type { DecisionRecord, LearnedState, Policy } from '@switchyard/core';
import { ConflictError, compileRegistry, RegistrySchema } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import type { PolicyStore } from '../../../functions/refit/refit.service.ts';
import { DEFAULT_REFIT_WINDOW_MS, refit } from '../../../functions/refit/refit.service.ts';

const REGISTRY = compileRegistry(
  RegistrySchema.parse({
    models: [{ id: 'small', version: 'v1', tasks: ['chat'], context_window: 4096, regions: ['us-east-1'] }],
    endpoints: [
      {
        id: 's',
        model: 'small',
        version: 'v1',
        kind: 'openai-http',
        target: 'http://s/v1',
        region: 'us-east-1',
      },
    ],
    policies: [
      { name: 'auto', match: { model: 'auto' }, strategy: 'learned', learning: { quality_floor: 0.5 } },
    ],
  }),
);

const rec = (id: string, over: Partial<DecisionRecord> = {}): DecisionRecord => ({
  request_id: id,
  tenant: 't',
  at: 1_000,
  policy: 'auto',
  strategy: 'learned',
  model: 'small@v1',
  endpoint: 's',
  primary: 'small@v1',
  propensity: 1,
  explored: false,
  prior: 0.5,
  context: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  candidates: [{ model: 'small@v1', prior: 0.5, cost_usd: 0.001 }],
  prompt_tokens: 10,
  status: 'ok',
  latency_ms: 1,
  cost_micros: 1,
  attempts: 1,
  ...over,
});

describe('refit', () => {
  it('reads the window, folds the scored decisions, solves λ and writes the state', async () => {
    const now = 10 * DEFAULT_REFIT_WINDOW_MS;
    const asked: number[] = [];
    const written: LearnedState[] = [];
    const summary = await refit({
      log: {
        since: async (ms) => {
          asked.push(ms);
          return [
            rec('a', { feedback: { score: 0.9, at: 2 } }),
            rec('b', { key_id: 'other', prompt_tokens: 99 }),
          ];
        },
      },
      state: { get: async () => undefined, put: async (s) => written.push(s) > 0 },
      registry: { get: async () => REGISTRY },
      now: () => now,
    });
    expect(asked).toEqual([now - DEFAULT_REFIT_WINDOW_MS]);
    expect(summary).toEqual({
      decisions: 2,
      events: 1,
      total: 1,
      written: true,
      skipped: 0,
      arms: 1,
      lambda: { auto: 20 },
      canaries: [],
    });
    expect(written).toHaveLength(1);
    expect(written[0]?.arms['small@v1']?.n).toBe(1);
    expect(written[0]?.arms['small@v1']?.xr[0]).toBeCloseTo(0.4, 12);
    expect(written[0]?.updated_at).toBe(now);
    expect(written[0]?.lambda).toEqual({ auto: 20 });
  });
});

describe('refit: incremental', () => {
  /** An in-memory state store honouring the revision condition; `fail` drops the next write. */
  const memory = () => {
    const m: { stored: LearnedState | undefined; writes: number } = { stored: undefined, writes: 0 };
    const store = {
      get: async () => m.stored,
      put: async (s: LearnedState, o: { expectedRev: number }) => {
        if ((m.stored?.rev ?? 0) !== o.expectedRev) return false;
        m.stored = s;
        m.writes++;
        return true;
      },
    };
    return { m, store };
  };
  const SCORED = [
    rec('a', { feedback: { score: 0.9, at: 2_000 } }),
    rec('b', { at: 3_000, status: 'error' }),
  ];
  /** A run at `now`; `lag` is the visibility lag (0 here; `'default'` leaves it to the service). */
  const at = (
    now: number,
    records: DecisionRecord[],
    store: ReturnType<typeof memory>['store'],
    lag: number | 'default' = 0,
  ) =>
    refit({
      log: { since: async () => records },
      state: store,
      registry: { get: async () => REGISTRY },
      now: () => now,
      ...(lag === 'default' ? {} : { visibilityLagMs: lag }),
    });

  it('keeps its watermark 10 s behind now by default, so records not yet visible to a scan are folded later', async () => {
    const { m, store } = memory();
    // The feedback at 2 000 is folded once the watermark passes it: now − 10 000 > 2 000.
    expect((await at(12_000, SCORED, store, 'default')).events).toBe(0);
    expect(m.stored?.watermark).toBe(2_000);
    expect((await at(12_001, SCORED, store, 'default')).events).toBe(1);
    expect(m.stored?.watermark).toBe(2_001);
  });

  it('folds each contribution once: a second run over the same records adds nothing', async () => {
    const { m, store } = memory();
    // At 2 000 the feedback (at 2 000) is not yet before the watermark; at 2 001 it is.
    expect((await at(2_000, SCORED, store)).events).toBe(0);
    expect(m.stored?.watermark).toBe(2_000);
    expect(m.stored?.rev).toBe(1);
    expect((await at(2_001, SCORED, store)).events).toBe(1);
    // b's implicit 0 settles at 3 000 + 30 000.
    expect((await at(33_000, SCORED, store)).events).toBe(0);
    const s = await at(33_001, SCORED, store);
    expect([s.events, s.total, s.written]).toEqual([1, 2, true]);
    const again = await at(40_000, SCORED, store);
    expect([again.events, again.total]).toEqual([0, 2]);
    expect(m.stored?.arms['small@v1']?.n).toBe(2);
    expect(m.stored?.arms['small@v1']?.xr[0]).toBeCloseTo(0.4 - 0.5, 12);
    expect(m.stored?.rev).toBe(5);
  });

  it('of two racing runs over the same revision one writes; the other folds nothing', async () => {
    const { m, store } = memory();
    const [x, y] = await Promise.all([at(50_000, SCORED, store), at(50_000, SCORED, store)]);
    expect([x.written, y.written].sort()).toEqual([false, true]);
    expect([x.events + y.events, m.writes, m.stored?.events]).toEqual([2, 1, 2]);
    const loser = x.written ? y : x;
    expect([loser.total, loser.arms]).toEqual([0, 0]);
  });
});

describe('refit: the learned canary gate', () => {
  const CANARY_POLICY = {
    name: 'auto',
    match: { model: 'auto' },
    strategy: 'quality-first',
    learning: { canary: { weight: 0.5, min_events: 2, tolerance: 0 } },
  };
  const registryWith = (policy: unknown) =>
    compileRegistry(RegistrySchema.parse({ ...REGISTRY.registry, policies: [policy] }));
  const scored = (id: string, arm: 'static' | 'learned', score: number, cost: number) =>
    rec(id, { arm, cost_micros: cost, feedback: { score, at: 2 } });
  /** An in-memory policy store holding `doc` at rev 3; records the writes. */
  const store = (doc: unknown, fail?: Error) => {
    const writes: Array<{ doc: Policy; expectedRev: number }> = [];
    const s: PolicyStore = {
      item: async (_kind, name) => (name === 'auto' ? { doc, rev: 3 } : undefined),
      putPolicy: async (d, o) => {
        if (fail) throw fail;
        writes.push({ doc: d, expectedRev: o.expectedRev });
      },
    };
    return { s, writes };
  };
  const run = (
    records: DecisionRecord[],
    policies: PolicyStore | undefined,
    policy: unknown = CANARY_POLICY,
  ) =>
    refit({
      log: { since: async () => records },
      state: { get: async () => undefined, put: async () => true },
      registry: { get: async () => registryWith(policy) },
      now: () => 10 * DEFAULT_REFIT_WINDOW_MS,
      ...(policies ? { policies } : {}),
    });
  const EQUAL = [
    scored('s1', 'static', 0.5, 100),
    scored('s2', 'static', 0.5, 100),
    scored('l1', 'learned', 0.5, 100),
    scored('l2', 'learned', 0.5, 100),
  ];

  it('promotes: writes strategy learned without the canary, at the revision it read', async () => {
    const { s, writes } = store(CANARY_POLICY);
    const summary = await run(EQUAL, s);
    expect(summary.canaries).toEqual([
      expect.objectContaining({ policy: 'auto', verdict: 'promote', applied: true }),
    ]);
    expect(writes).toEqual([
      {
        doc: {
          ...RegistrySchema.parse({ ...REGISTRY.registry, policies: [CANARY_POLICY] }).policies[0],
          strategy: 'learned',
          learning: { lambda: 0.5, explore: 0.05, shadow: false },
        },
        expectedRev: 3,
      },
    ]);
  });

  it('rolls back a dearer learned arm: canary weight 0, the static strategy kept', async () => {
    const { s, writes } = store(CANARY_POLICY);
    const dearer = [
      ...EQUAL.slice(0, 2),
      scored('l1', 'learned', 0.5, 101),
      scored('l2', 'learned', 0.5, 101),
    ];
    const summary = await run(dearer, s);
    expect(summary.canaries[0]).toMatchObject({ verdict: 'rollback', applied: true });
    expect(writes).toHaveLength(1);
    expect(writes[0]?.doc.strategy).toBe('quality-first');
    expect(writes[0]?.doc.learning?.canary).toEqual({ weight: 0, min_events: 2, tolerance: 0 });
  });

  it('waits with too few events, and writes nothing', async () => {
    const { s, writes } = store(CANARY_POLICY);
    const summary = await run(EQUAL.slice(1), s);
    expect(summary.canaries).toEqual([expect.objectContaining({ verdict: 'wait', applied: false })]);
    expect(writes).toEqual([]);
  });

  it('writes nothing when the stored policy changed since the snapshot, or a concurrent write wins', async () => {
    const edited = store({
      ...CANARY_POLICY,
      learning: { canary: { weight: 0.2, min_events: 2, tolerance: 0 } },
    });
    expect((await run(EQUAL, edited.s)).canaries[0]).toMatchObject({ verdict: 'promote', applied: false });
    expect(edited.writes).toEqual([]);
    const racing = store(CANARY_POLICY, new ConflictError('rev moved'));
    expect((await run(EQUAL, racing.s)).canaries[0]).toMatchObject({ verdict: 'promote', applied: false });
  });

  it('without a store only reports; a rolled-back canary (weight 0) is not judged again', async () => {
    expect((await run(EQUAL, undefined)).canaries[0]).toMatchObject({ verdict: 'promote', applied: false });
    const { s, writes } = store(CANARY_POLICY);
    const done = { ...CANARY_POLICY, learning: { canary: { weight: 0, min_events: 2, tolerance: 0 } } };
    expect((await run(EQUAL, s, done)).canaries).toEqual([]);
    expect(writes).toEqual([]);
  });
});
