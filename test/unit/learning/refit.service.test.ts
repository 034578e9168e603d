// The refit service over in-memory ports: the window it reads, the events and λ it refits, and
// the state it writes (from scratch each run, so late feedback counts exactly once).
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
      state: { put: async (s) => void written.push(s) },
      registry: { get: async () => REGISTRY },
      now: () => now,
    });
    expect(asked).toEqual([now - DEFAULT_REFIT_WINDOW_MS]);
    expect(summary).toEqual({ decisions: 2, events: 1, skipped: 0, arms: 1, lambda: { auto: 20 } });
    expect(written).toHaveLength(1);
    expect(written[0]?.arms['small@v1']?.n).toBe(1);
    expect(written[0]?.arms['small@v1']?.xr[0]).toBeCloseTo(0.4, 12);
    expect(written[0]?.updated_at).toBe(now);
    expect(written[0]?.lambda).toEqual({ auto: 20 });
  });
});
