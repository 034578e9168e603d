// Decision records: built from a real learned decision (no prompt text, propensity and context
// from the explanation), feedback bodies (score xor thumbs, bounds, strictness), the join into
// learning events with implicit retries, and λ contexts per policy.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecisionRecord } from '../../../../layers/core/src/index.ts';
import {
  DEFAULT_SETTLE_MS,
  decisionRecordOf,
  emptyLearnedState,
  FeedbackBodySchema,
  feedbackOf,
  foldEvents,
  lambdaContextsOf,
  learningEventsBetween,
  learningEventsOf,
  RETRY_WINDOW_MS,
  retriedRequests,
  route,
} from '../../../../layers/core/src/index.ts';
import { compiled, endpoint, model, NO_HEALTH, NOW, policy, request } from '../fixtures.ts';

const REGISTRY = compiled({
  models: [
    model('small', { cost: { input_per_1k: 0.0001, output_per_1k: 0.0002 }, quality: { chat: 0.7 } }),
    model('large', { cost: { input_per_1k: 0.003, output_per_1k: 0.006 }, quality: { chat: 0.9 } }),
  ],
  endpoints: [endpoint('small-1', 'small'), endpoint('large-1', 'large')],
  policies: [policy('auto', { strategy: 'learned', learning: { lambda: 1, explore: 0.1 } })],
});

const rec = (over: Partial<DecisionRecord> = {}): DecisionRecord => ({
  request_id: 'r1',
  tenant: 't',
  key_id: 'k',
  at: 1_000,
  policy: 'auto',
  strategy: 'learned',
  model: 'small@v1',
  endpoint: 'small-1',
  primary: 'small@v1',
  propensity: 1,
  explored: false,
  prior: 0.7,
  context: [1, 0.5],
  prompt_tokens: 100,
  status: 'ok',
  latency_ms: 10,
  cost_micros: 5,
  attempts: 1,
  ...over,
});

describe('decisionRecordOf', () => {
  it('records the learned decision: propensity, prior, context and candidates, never prompt text', () => {
    const req = request();
    const decision = route(req, { registry: REGISTRY, health: NO_HEALTH }, { now: NOW, random: () => 0.5 });
    const r = decisionRecordOf({
      request_id: 'req-9',
      key_id: 'key-1',
      at: NOW,
      request: req,
      decision,
      served: { model: 'small', version: 'v1', endpoint: 'small-1' },
      status: 'ok',
      latency_ms: 33,
      cost_micros: 40,
      attempts: 1,
    });
    expect(r).toMatchObject({
      request_id: 'req-9',
      tenant: 'tenant-1',
      key_id: 'key-1',
      policy: 'auto',
      strategy: 'learned',
      model: 'small@v1',
      primary: 'small@v1',
      endpoint: 'small-1',
      prior: 0.7,
      explored: false,
      prompt_tokens: 100,
      status: 'ok',
      latency_ms: 33,
      cost_micros: 40,
    });
    expect(r.propensity).toBe(decision.explanation.learned?.propensity);
    expect(r.context).toEqual(decision.explanation.learned?.context);
    expect(r.candidates?.map((c) => c.model).sort()).toEqual(['large@v1', 'small@v1']);
    expect(r.candidates?.find((c) => c.model === 'large@v1')?.prior).toBe(0.9);
  });

  it('another strategy: propensity 1, the registry prior it is given, no candidates', () => {
    const reg = compiled({
      models: [model('small', { quality: { chat: 0.7 } })],
      endpoints: [endpoint('small-1', 'small')],
      policies: [policy('auto', { strategy: 'cost-first' })],
    });
    const req = request();
    const decision = route(req, { registry: reg, health: NO_HEALTH }, { now: NOW, random: () => 0.5 });
    const r = decisionRecordOf({
      request_id: 'x',
      at: NOW,
      request: req,
      decision,
      served: { model: 'small', version: 'v1', endpoint: 'small-1' },
      status: 'error',
      latency_ms: 1,
      cost_micros: 0,
      attempts: 2,
      prior: 0.7,
    });
    expect(r).toMatchObject({ propensity: 1, explored: false, prior: 0.7, status: 'error', attempts: 2 });
    expect(r).not.toHaveProperty('candidates');
    expect(r).not.toHaveProperty('key_id');
    expect(r.context).toHaveLength(10);
  });
});

describe('decisionRecordOf in shadow mode', () => {
  it('records what the learned strategy would have chosen next to what served', () => {
    const reg = compiled({
      models: [
        model('small', { cost: { input_per_1k: 0.0001, output_per_1k: 0.0002 }, quality: { chat: 0.7 } }),
        model('large', { cost: { input_per_1k: 0.003, output_per_1k: 0.006 }, quality: { chat: 0.9 } }),
      ],
      endpoints: [endpoint('small-1', 'small'), endpoint('large-1', 'large')],
      policies: [
        policy('auto', { strategy: 'quality-first', learning: { lambda: 2, explore: 0, shadow: true } }),
      ],
    });
    const req = request();
    const decision = route(req, { registry: reg, health: NO_HEALTH }, { now: NOW, random: () => 0.5 });
    const r = decisionRecordOf({
      request_id: 's',
      at: NOW,
      request: req,
      decision,
      served: { model: 'large', version: 'v1', endpoint: 'large-1' },
      status: 'ok',
      latency_ms: 1,
      cost_micros: 1,
      attempts: 1,
      prior: 0.9,
    });
    expect(r).toMatchObject({ strategy: 'quality-first', model: 'large@v1', propensity: 1, prior: 0.9 });
    expect(r.shadow).toEqual({ model: 'small@v1', propensity: 1, explored: false });
    expect(r.candidates?.map((c) => c.model).sort()).toEqual(['large@v1', 'small@v1']);
  });
});

describe('feedback bodies', () => {
  it('takes a score in [0, 1] or thumbs, not both and not neither', () => {
    for (const score of [0, 1, 0.5])
      expect(FeedbackBodySchema.safeParse({ request_id: 'r', score }).success).toBe(true);
    for (const score of [-0.001, 1.001])
      expect(FeedbackBodySchema.safeParse({ request_id: 'r', score }).success).toBe(false);
    expect(FeedbackBodySchema.safeParse({ request_id: 'r', thumbs: 'up' }).success).toBe(true);
    expect(FeedbackBodySchema.safeParse({ request_id: 'r', thumbs: 'sideways' }).success).toBe(false);
    expect(FeedbackBodySchema.safeParse({ request_id: 'r', score: 1, thumbs: 'up' }).success).toBe(false);
    expect(FeedbackBodySchema.safeParse({ request_id: 'r' }).success).toBe(false);
    expect(FeedbackBodySchema.safeParse({ request_id: '', score: 1 }).success).toBe(false);
    expect(FeedbackBodySchema.safeParse({ request_id: 'r', score: 1, tenant: 'other' }).success).toBe(false);
    expect(FeedbackBodySchema.safeParse({ request_id: 'r', score: 1, label: 'has space' }).success).toBe(
      false,
    );
    expect(
      FeedbackBodySchema.safeParse({ request_id: 'r', score: 1, comment: 'x'.repeat(1001) }).success,
    ).toBe(false);
    expect(
      FeedbackBodySchema.safeParse({ request_id: 'r', score: 1, comment: 'x'.repeat(1000) }).success,
    ).toBe(true);
  });

  it('thumbs up scores 1, down 0; label and comment kept', () => {
    expect(feedbackOf({ request_id: 'r', thumbs: 'up' }, 7)).toEqual({ score: 1, thumbs: 'up', at: 7 });
    expect(feedbackOf({ request_id: 'r', thumbs: 'down', label: 'wrong', comment: 'no' }, 8)).toEqual({
      score: 0,
      thumbs: 'down',
      label: 'wrong',
      comment: 'no',
      at: 8,
    });
    expect(feedbackOf({ request_id: 'r', score: 0.25 }, 9)).toEqual({ score: 0.25, at: 9 });
  });
});

describe('learningEventsOf', () => {
  it('explicit scores teach, a failed primary scores 0; fallbacks and unscored answers do not', () => {
    const events = learningEventsOf([
      rec({ request_id: 'a', feedback: { score: 0.9, at: 1 } }),
      rec({ request_id: 'b', status: 'error', feedback: { score: 0.1, at: 1 } }),
      rec({ request_id: 'c', model: 'large@v1', feedback: { score: 0.1, at: 1 } }),
      rec({ request_id: 'd', at: 999_999 }),
      rec({ request_id: 'e', status: 'error', at: 2_000_000 }),
      rec({ request_id: 'f', status: 'error', model: 'large@v1', at: 3_000_000 }),
    ]);
    expect(events.map((e) => e.reward)).toEqual([0.9, 0.1, 0]);
    expect(events[2]).toEqual({ arm: 'small@v1', x: [1, 0.5], prior: 0.7, reward: 0 });
  });

  it('a same-caller retry with the same context within the window scores the first answer 0', () => {
    const first = rec({ request_id: 'first', at: 1_000 });
    const retry = rec({ request_id: 'retry', at: 1_000 + RETRY_WINDOW_MS });
    expect([...retriedRequests([retry, first])]).toEqual(['first']);
    expect(learningEventsOf([first, retry])).toEqual([
      { arm: 'small@v1', x: [1, 0.5], prior: 0.7, reward: 0 },
    ]);
    // Just outside the window, another key, another context or another prompt size: no retry.
    expect(retriedRequests([first, rec({ request_id: 'late', at: 1_001 + RETRY_WINDOW_MS })]).size).toBe(0);
    expect(retriedRequests([first, rec({ request_id: 'k2', key_id: 'k2', at: 1_100 })]).size).toBe(0);
    expect(retriedRequests([first, rec({ request_id: 'x2', context: [1, 0.6], at: 1_100 })]).size).toBe(0);
    expect(retriedRequests([first, rec({ request_id: 'p2', prompt_tokens: 101, at: 1_100 })]).size).toBe(0);
  });

  it('explicit feedback wins over the implicit retry signal', () => {
    const first = rec({ request_id: 'first', feedback: { score: 0.6, at: 1 } });
    const events = learningEventsOf([first, rec({ request_id: 'retry', at: 2_000 })]);
    expect(events.map((e) => e.reward)).toEqual([0.6]);
  });

  it('between: feedback counts at its own time, an implicit reward once settled, each once', () => {
    const settle = 1_000 + DEFAULT_SETTLE_MS;
    const failed = rec({ request_id: 'f', status: 'error' });
    // Settled at exactly at + DEFAULT_SETTLE_MS: in [settle, …), not in [0, settle).
    expect(learningEventsBetween([failed], 0, settle)).toEqual([]);
    expect(learningEventsBetween([failed], settle, settle + 1)).toEqual([
      { arm: 'small@v1', x: [1, 0.5], prior: 0.7, reward: 0 },
    ]);
    // Feedback before the settle time: the explicit score only, at the feedback's time.
    const early = rec({ status: 'error', feedback: { score: 0.8, at: settle - 1 } });
    expect(learningEventsBetween([early], 0, settle - 1)).toEqual([]);
    expect(learningEventsBetween([early], settle - 1, settle).map((e) => e.reward)).toEqual([0.8]);
    expect(learningEventsBetween([early], settle, 10 * settle)).toEqual([]);
    // Feedback at the settle time or later: the implicit 0 was counted, so it is retracted.
    const late = rec({ status: 'error', feedback: { score: 0.8, at: settle } });
    expect(learningEventsBetween([late], settle, settle + 1)).toEqual([
      { arm: 'small@v1', x: [1, 0.5], prior: 0.7, reward: 0 },
      { arm: 'small@v1', x: [1, 0.5], prior: 0.7, reward: 0, weight: -1 },
      { arm: 'small@v1', x: [1, 0.5], prior: 0.7, reward: 0.8 },
    ]);
    // Late feedback without an implicit reward: just the score; a fallback: nothing.
    const plain = rec({ feedback: { score: 0.4, at: 5 * settle } });
    expect(learningEventsBetween([plain], 0, 5 * settle)).toEqual([]);
    expect(learningEventsBetween([plain], 5 * settle, 5 * settle + 1).map((e) => e.reward)).toEqual([0.4]);
    expect(learningEventsBetween([rec({ model: 'large@v1', status: 'error' })], 0, 10 * settle)).toEqual([]);
  });

  it('between: in any cut of time into chunks, the fold equals the all-at-once fold, and a replayed chunk adds nothing', () => {
    const record = fc.record({
      at: fc.integer({ min: 0, max: 200_000 }),
      ctx: fc.integer({ min: 0, max: 2 }),
      status: fc.constantFrom('ok' as const, 'error' as const),
      fb: fc.option(
        fc.record({
          delay: fc.integer({ min: 0, max: 100_000 }),
          score: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        { nil: undefined },
      ),
    });
    fc.assert(
      fc.property(
        fc.array(record, { maxLength: 25 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 399_999 }), { maxLength: 6 }),
        (specs, cuts) => {
          const records = specs.map((s, i) =>
            rec({
              request_id: `r${i}`,
              at: s.at,
              status: s.status,
              context: [1, s.ctx / 2],
              ...(s.fb ? { feedback: { score: s.fb.score, at: s.at + s.fb.delay } } : {}),
            }),
          );
          const END = 400_000;
          const whole = foldEvents(emptyLearnedState(0, 2), learningEventsOf(records), 0).state;
          const bounds = [0, ...[...cuts].sort((a, b) => a - b), END];
          let chunked = emptyLearnedState(0, 2);
          for (let i = 0; i + 1 < bounds.length; i++) {
            const events = learningEventsBetween(records, bounds[i] as number, bounds[i + 1] as number);
            chunked = foldEvents(chunked, events, 0).state;
          }
          expect(chunked.events).toBe(whole.events);
          expect(Object.keys(chunked.arms)).toEqual(Object.keys(whole.arms));
          for (const [k, arm] of Object.entries(whole.arms)) {
            const c = chunked.arms[k];
            expect(c?.n).toBe(arm.n);
            for (const [j, v] of arm.xx.entries()) expect(c?.xx[j]).toBeCloseTo(v, 9);
            for (const [j, v] of arm.xr.entries()) expect(c?.xr[j]).toBeCloseTo(v, 9);
          }
        },
      ),
    );
  });

  it('λ contexts: learned records with candidates, per policy', () => {
    const contexts = lambdaContextsOf([
      rec({ candidates: [{ model: 'small@v1', prior: 0.7, cost_usd: 0.001 }] }),
      rec({ request_id: 'z', policy: 'other' }),
    ]);
    expect([...contexts.keys()]).toEqual(['auto']);
    expect(contexts.get('auto')).toEqual([
      { x: [1, 0.5], candidates: [{ arm: 'small@v1', prior: 0.7, cost: 0.001 }] },
    ]);
  });
});
