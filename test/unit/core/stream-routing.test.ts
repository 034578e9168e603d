// Streaming requests are scored on the time to first token where it was measured (total latency
// where not); completions are routed by task `completion` with their prompt and max_tokens.
import { describe, expect, it } from 'vitest';
import { CompletionRequestSchema, completionRouteRequest, route } from '../../../layers/core/src/index.ts';
import { compiled, ctx, endpoint, health, model, policy, request, snapshotOf } from './fixtures.ts';

const registry = compiled({
  models: [model('m', { tasks: ['chat', 'completion'] })],
  endpoints: [endpoint('quick-total', 'm'), endpoint('quick-start', 'm')],
  policies: [policy('fast', { match: { model: 'fast' }, strategy: 'latency-first' })],
});
// quick-total finishes sooner; quick-start sends its first token sooner.
const snapshot = snapshotOf(
  health('quick-total', { latency_ewma_ms: 400, ttft_ewma_ms: 300 }),
  health('quick-start', { latency_ewma_ms: 900, ttft_ewma_ms: 50 }),
);

describe('latency-aware routing of streams', () => {
  it('a buffered request goes to the lowest total latency', () => {
    const d = route(request({ model: 'fast' }), { registry, health: snapshot }, ctx());
    expect(d.plan.primary.endpoint).toBe('quick-total');
    const byId = Object.fromEntries(d.explanation.candidates.map((c) => [c.endpoint, c.expected_latency_ms]));
    expect(byId).toEqual({ 'quick-total': 400, 'quick-start': 900 });
  });

  it('a streaming request goes to the lowest time to first token', () => {
    const d = route(request({ model: 'fast', stream: true }), { registry, health: snapshot }, ctx());
    expect(d.plan.primary.endpoint).toBe('quick-start');
    const byId = Object.fromEntries(d.explanation.candidates.map((c) => [c.endpoint, c.expected_latency_ms]));
    expect(byId).toEqual({ 'quick-total': 300, 'quick-start': 50 });
  });

  it('the TTFT tail weighs in like the latency tail, and total latency stands in where TTFT is unmeasured', () => {
    const tail = snapshotOf(
      health('quick-total', { latency_ewma_ms: 400 }),
      health('quick-start', { latency_ewma_ms: 900, ttft_ewma_ms: 50, ttft_p95_ms: 2050 }),
    );
    const d = route(request({ model: 'fast', stream: true }), { registry, health: tail }, ctx());
    expect(d.plan.primary.endpoint).toBe('quick-total');
    const byId = Object.fromEntries(d.explanation.candidates.map((c) => [c.endpoint, c.expected_latency_ms]));
    // 0.75 × 50 + 0.25 × 2050 (the tail weight of score.ts).
    expect(byId).toEqual({ 'quick-total': 400, 'quick-start': 550 });
  });
});

describe('completionRouteRequest', () => {
  const parse = (body: unknown) => CompletionRequestSchema.parse(body);

  it('routes by task completion with the estimated prompt and OpenAI default max_tokens of 16', () => {
    const r = completionRouteRequest(parse({ model: 'auto', prompt: 'abcdefgh' }), {}, { id: 't' });
    // 3 priming + ceil(8 / 4).
    expect(r).toMatchObject({ model: 'auto', task: 'completion', prompt_tokens: 5, max_output_tokens: 16 });
    expect(r.stream).toBeUndefined();
  });

  it('counts every prompt of an array and token-array prompts by their tokens; streams flag the request', () => {
    const many = completionRouteRequest(
      parse({ model: 'auto', prompt: ['abcd', 'efgh'], max_tokens: 10 }),
      {},
      {
        id: 't',
      },
    );
    expect(many).toMatchObject({ prompt_tokens: 5, max_output_tokens: 20 });
    const tokens = completionRouteRequest(
      parse({ model: 'auto', prompt: [[1, 2, 3], [4]], stream: true }),
      {},
      {
        id: 't',
      },
    );
    expect(tokens).toMatchObject({ prompt_tokens: 7, max_output_tokens: 32, stream: true });
  });

  it('the schema refuses what OpenAI refuses', () => {
    const problem = (body: unknown) =>
      CompletionRequestSchema.safeParse(body).error?.issues[0]?.path.join('.');
    expect(problem({ model: 'm' })).toBe('prompt');
    expect(problem({ model: 'm', prompt: [] })).toBe('prompt');
    expect(problem({ model: 'm', prompt: 'x', stream_options: { include_usage: true } })).toBe(
      'stream_options',
    );
    expect(problem({ model: 'm', prompt: 'x', n: 2 })).toBe('n');
    expect(problem({ model: 'm', prompt: 'x', logprobs: 6 })).toBe('logprobs');
    expect(problem({ model: 'm', prompt: 'x', stream: true, best_of: 2 })).toBe('best_of');
    expect(
      problem({ model: 'm', prompt: 'x', stream: true, best_of: 1, logprobs: 5, echo: true }),
    ).toBeUndefined();
  });
});
