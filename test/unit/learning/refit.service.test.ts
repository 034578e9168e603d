// The refit service over in-memory ports: the window it reads, the events and λ it refits, and
// the state it writes (incrementally from the stored watermark, conditionally on its revision).
import type { DecisionRecord, LearnedState } from '@switchyard/core';
import { compileRegistry, RegistrySchema } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
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

describe('refit: a learned canary', () => {
  it('is refit on (both arms fold) but not judged: its verdict is the rollout workflow’s', async () => {
    const policy = {
      name: 'auto',
      match: { model: 'auto' },
      strategy: 'quality-first',
      learning: { canary: { weight: 0.5, min_events: 1, tolerance: 0 } },
    };
    const registry = compileRegistry(RegistrySchema.parse({ ...REGISTRY.registry, policies: [policy] }));
    const written: LearnedState[] = [];
    const summary = await refit({
      log: {
        since: async () => [
          rec('s', { arm: 'static', strategy: 'quality-first', feedback: { score: 0.2, at: 2 } }),
          rec('l', { arm: 'learned', feedback: { score: 0.9, at: 2 } }),
        ],
      },
      state: { get: async () => undefined, put: async (s) => written.push(s) > 0 },
      registry: { get: async () => registry },
      now: () => 10 * DEFAULT_REFIT_WINDOW_MS,
    });
    expect(summary).toEqual({
      decisions: 2,
      events: 2,
      total: 2,
      written: true,
      skipped: 0,
      arms: 1,
      lambda: {},
    });
    expect(written).toHaveLength(1);
  });
});
