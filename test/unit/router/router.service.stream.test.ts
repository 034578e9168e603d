// The router's streamed answers: SSE headers with the serving endpoint's x-switchyard-* headers,
// OpenAI's wire format end to end, the attempts recorded once when the stream has ended (a cut
// counted against its endpoint, TTFT on the outcome), a failure before the first chunk as the
// usual error, and completions streamed the same way.
import type { Caller } from '@switchyard/adapters/lambda';
import { describe, expect, it } from 'vitest';
import { RouterService } from '../../../functions/router/router.service.ts';
import type { InferenceChunk, InferenceClient, Outcome, PlanTarget } from '../../../layers/core/src/index.ts';
import { SwitchyardError, UpstreamError } from '../../../layers/core/src/index.ts';
import { compiled, endpoint, model, NO_HEALTH, NOW, policy } from '../core/fixtures.ts';

const registry = compiled({
  models: [
    model('ma', { tasks: ['chat', 'completion'], quality: { chat: 0.9, completion: 0.9 } }),
    model('mb', { tasks: ['chat', 'completion'], quality: { chat: 0.6, completion: 0.6 } }),
  ],
  endpoints: [endpoint('a', 'ma'), endpoint('b', 'mb')],
  policies: [
    policy('auto', { strategy: 'quality-first', fallback: { count: 1, mode: 'cross-model' } }),
    policy('resume', {
      strategy: 'quality-first',
      fallback: { count: 1, mode: 'cross-model' },
      stream_resume: true,
    }),
  ],
});
const caller: Caller = { tenant: 't1', role: 'consumer' };

type Script = { before?: Error; pieces?: string[]; after?: Error };

function service(scripts: Record<string, Script>) {
  const recorded: Outcome[][] = [];
  const calls: Array<{ endpoint: string; body: unknown }> = [];
  let clock = NOW;
  const inference: InferenceClient = {
    invoke: async () => {
      throw new Error('not used');
    },
    async *stream(target: PlanTarget, call): AsyncGenerator<InferenceChunk> {
      calls.push({ endpoint: target.endpoint, body: call.kind === 'invocation' ? undefined : call.body });
      const s = scripts[target.endpoint] ?? {};
      clock += 7;
      if (s.before) throw s.before;
      for (const p of s.pieces ?? ['ok']) {
        yield { text: p };
        clock += 1;
      }
      if (s.after) throw s.after;
      yield { finish_reason: 'stop' };
    },
  };
  const svc = new RouterService({
    registry: { get: async () => registry },
    health: { get: async () => NO_HEALTH },
    inference,
    recordOutcomes: async (o) => {
      recorded.push(o);
    },
    now: () => clock,
    random: () => 0.5,
    healthFreshMs: 90_000,
  });
  return { svc, recorded, calls };
}

async function text(stream: AsyncIterable<string> | undefined): Promise<string> {
  let out = '';
  for await (const piece of stream ?? []) out += piece;
  return out;
}

const events = (sse: string) =>
  sse
    .split('\n\n')
    .filter(Boolean)
    .map((e) => e.replace(/^data: /, ''));

describe('RouterService streams', () => {
  it('a stream: SSE headers, the serving endpoint, OpenAI chunks, [DONE]; outcomes once it ended', async () => {
    const { svc, recorded } = service({ a: { pieces: ['Hel', 'lo'] } });
    const res = await svc.chat(
      {
        model: 'auto',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: true },
      },
      {},
      caller,
    );
    expect(res.headers).toMatchObject({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-switchyard-endpoint': 'a',
      'x-switchyard-model': 'ma@v1',
      'x-switchyard-attempts': '1',
    });
    expect(recorded).toEqual([]);
    const e = events(await text(res.stream));
    expect(e.at(-1)).toBe('[DONE]');
    // What it was charged, as an SSE comment clients skip (no prices here: $0).
    expect(e.at(-2)).toBe(': x-switchyard-cost-usd 0.000000000');
    const chunks = e.slice(0, -2).map((x) => JSON.parse(x) as Record<string, unknown>);
    expect(
      chunks.map((c) => (c.choices as Array<{ delta?: unknown; finish_reason: unknown }>)[0] ?? null),
    ).toEqual([
      { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
      { index: 0, delta: { content: 'Hel' }, logprobs: null, finish_reason: null },
      { index: 0, delta: { content: 'lo' }, logprobs: null, finish_reason: null },
      { index: 0, delta: {}, logprobs: null, finish_reason: 'stop' },
      null,
    ]);
    expect(chunks[0]).toMatchObject({ object: 'chat.completion.chunk', model: 'ma', usage: null });
    // Counted: 'hi' is 3 + 4 + 1 prompt tokens; 'Hello' ceil(5 / 4) = 2.
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 });
    expect(recorded).toEqual([[{ endpoint: 'a', ok: true, latency_ms: 9, ttft_ms: 7, at: NOW }]]);
  });

  it('the upstream body is sent without stream fields (the adapter asks for its own)', async () => {
    const { svc, calls } = service({});
    const res = await svc.chat(
      {
        model: 'auto',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: true },
      },
      {},
      caller,
    );
    await text(res.stream);
    expect(calls[0]?.body).toEqual({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] });
  });

  it('a failure before the first chunk is invisible; a cut after it ends with the error event, counted', async () => {
    const { svc, recorded } = service({
      a: { before: new UpstreamError('server', 'a broke', 500) },
      b: { pieces: ['par'], after: new UpstreamError('connection', 'b dropped') },
    });
    const res = await svc.chat(
      { model: 'auto', messages: [{ role: 'user', content: 'hi' }], stream: true },
      {},
      caller,
    );
    expect(res.headers['x-switchyard-endpoint']).toBe('b');
    expect(res.headers['x-switchyard-attempts']).toBe('2');
    const e = events(await text(res.stream));
    expect(e.at(-1)).toBe(': x-switchyard-cost-usd 0.000000000');
    expect(e.at(-2)).toBe(
      '{"error":{"message":"The upstream stream failed after 1 chunks (connection); the answer is incomplete.","type":"upstream_error","code":"stream_interrupted","param":null}}',
    );
    expect(e).not.toContain('[DONE]');
    expect(recorded.flat().map((o) => `${o.endpoint}:${o.ok ? 'ok' : o.failure}`)).toEqual([
      'a:server',
      'b:connection',
    ]);
  });

  it('every target failing before a chunk: the JSON error, outcomes recorded', async () => {
    const { svc, recorded } = service({
      a: { before: new UpstreamError('server', 'x', 500) },
      b: { before: new UpstreamError('timeout', 'y') },
    });
    const err = await svc
      .chat({ model: 'auto', messages: [{ role: 'user', content: 'hi' }], stream: true }, {}, caller)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchyardError);
    expect((err as SwitchyardError).status).toBe(502);
    expect(recorded.flat().map((o) => o.endpoint)).toEqual(['a', 'b']);
  });

  it('stream_resume: the next endpoint continues from the prefix', async () => {
    const { svc, calls } = service({
      a: { pieces: ['Hel'], after: new UpstreamError('connection', 'cut') },
      b: { pieces: ['lo'] },
    });
    const res = await svc.chat(
      { model: 'resume', messages: [{ role: 'user', content: 'hi' }], stream: true },
      {},
      caller,
    );
    const e = events(await text(res.stream));
    expect(e.at(-1)).toBe('[DONE]');
    expect(e.at(-3)).toContain(
      '"x_switchyard":{"resumed":true,"resumed_by":[{"endpoint":"b","model":"mb","version":"v1","after_chars":3}]}',
    );
    expect(calls[1]?.body).toMatchObject({
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'Hel' },
      ],
    });
  });

  it('completions stream text_completion chunks; a client leaving mid-stream records the attempt as aborted', async () => {
    const { svc, recorded } = service({ a: { pieces: ['x', 'y', 'z'] } });
    const res = await svc.completions({ model: 'auto', prompt: 'p', stream: true }, {}, caller);
    const it = res.stream?.[Symbol.asyncIterator]();
    const first = await it?.next();
    expect(first?.value).toContain('"object":"text_completion"');
    expect(first?.value).toContain('"choices":[{"text":"x","index":0,"logprobs":null,"finish_reason":null}]');
    await it?.return?.(undefined);
    // An aborted attempt is no outcome of the endpoint.
    expect(recorded).toEqual([]);
  });
});
