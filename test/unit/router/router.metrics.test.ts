// The router's metrics step: what one answered request, one failed request, the attempts'
// outcomes, a breaker change and the in-flight counts become, as datapoints by dimension set.
import { EmfMetrics } from '@switchyard/adapters';
import { InvalidRequestError, type Outcome, TargetsExhaustedError } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { RouterMetrics } from '../../../functions/router/router.metrics.ts';

const CHAT = 'POST /v1/chat/completions';

function setup(inflight: Record<string, number> = {}) {
  const lines: string[] = [];
  let now = 1_000;
  const emf = new EmfMetrics({ serviceName: 'router', write: (l) => lines.push(l), disabled: false });
  const metrics = new RouterMetrics({ emf, now: () => now, inflight: () => inflight });
  /** `Name{k=v,...}` -> values, from every document written. */
  const points = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const line of lines) {
      const doc = JSON.parse(line) as Record<string, unknown> & {
        _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> };
      };
      const set = doc._aws.CloudWatchMetrics[0];
      const dims = (set?.Dimensions[0] ?? []).map((d) => `${d}=${String(doc[d])}`).join(',');
      for (const m of set?.Metrics ?? []) out[`${m.Name}{${dims}}`] = doc[m.Name];
    }
    return out;
  };
  return { metrics, points, advance: (ms: number) => (now += ms), inflight };
}

const ANSWER = {
  status: 200,
  body: { usage: { prompt_tokens: 12, completion_tokens: 30 } },
  headers: {
    'x-switchyard-policy': 'support',
    'x-switchyard-model': 'llama@v2',
    'x-switchyard-attempts': '2',
    'x-switchyard-cost-usd': '0.00012000',
  },
};

describe('RouterMetrics', () => {
  it('an answer: requests and latency by route and by policy+model; attempts, fallbacks, cost, tokens', async () => {
    const { metrics, points, advance } = setup();
    const answer = await metrics.measure(CHAT, async () => {
      advance(42);
      return ANSWER;
    });
    expect(answer).toBe(ANSWER);
    expect(points()).toEqual({
      [`Requests{service=router,Route=${CHAT}}`]: 1,
      [`Latency{service=router,Route=${CHAT}}`]: 42,
      'Requests{service=router,Policy=support,Model=llama@v2}': 1,
      'Latency{service=router,Policy=support,Model=llama@v2}': 42,
      'Attempts{service=router,Policy=support,Model=llama@v2}': 2,
      'Fallbacks{service=router,Policy=support,Model=llama@v2}': 1,
      'CostUsd{service=router,Policy=support,Model=llama@v2}': 0.00012,
      'CostUsd{service=router}': 0.00012,
      'InputTokens{service=router,Policy=support,Model=llama@v2}': 12,
      'OutputTokens{service=router,Policy=support,Model=llama@v2}': 30,
    });
  });

  it('an answer without routing headers (GET /v1/models) counts by route only', async () => {
    const { metrics, points } = setup();
    await metrics.measure('GET /v1/models', async () => ({ status: 200, body: { data: [] } }));
    expect(points()).toEqual({
      'Requests{service=router,Route=GET /v1/models}': 1,
      'Latency{service=router,Route=GET /v1/models}': 0,
    });
  });

  it('a first attempt that served: zero fallbacks; no usage: no token metrics', async () => {
    const { metrics, points } = setup();
    await metrics.measure(CHAT, async () => ({
      status: 200,
      headers: { ...ANSWER.headers, 'x-switchyard-attempts': '1' },
    }));
    const p = points();
    expect(p['Fallbacks{service=router,Policy=support,Model=llama@v2}']).toBe(0);
    expect(p['Attempts{service=router,Policy=support,Model=llama@v2}']).toBe(1);
    expect(Object.keys(p).filter((k) => k.includes('Tokens'))).toEqual([]);
  });

  /** A stream of `pieces`, advancing the clock by `stepMs` before each; throws `fail` at its end if given. */
  function sse(advance: (ms: number) => void, pieces: string[], stepMs: number, fail?: Error) {
    return (async function* () {
      for (const p of pieces) {
        advance(stepMs);
        yield p;
      }
      if (fail) throw fail;
    })();
  }
  const STREAM_HEADERS = {
    'x-switchyard-policy': 'support',
    'x-switchyard-model': 'llama@v2',
    'x-switchyard-attempts': '1',
  };

  it('a streamed answer: time to first token when it is answered, latency when the stream has ended', async () => {
    const { metrics, points, advance } = setup();
    const answer = await metrics.measure(CHAT, async () => {
      advance(15);
      return { status: 200, headers: STREAM_HEADERS, stream: sse(advance, ['a', 'b', 'c'], 100) };
    });
    expect(points()).toEqual({
      [`Requests{service=router,Route=${CHAT}}`]: 1,
      'Requests{service=router,Policy=support,Model=llama@v2}': 1,
      'TimeToFirstToken{service=router,Policy=support,Model=llama@v2}': 15,
      'Attempts{service=router,Policy=support,Model=llama@v2}': 1,
      'Fallbacks{service=router,Policy=support,Model=llama@v2}': 0,
    });
    const got: string[] = [];
    for await (const piece of answer.stream ?? []) got.push(piece);
    expect(got).toEqual(['a', 'b', 'c']);
    const p = points();
    expect(p[`Latency{service=router,Route=${CHAT}}`]).toBe(315);
    expect(p['Latency{service=router,Policy=support,Model=llama@v2}']).toBe(315);
  });

  it('a stream the client leaves records its latency once, at the moment it was left', async () => {
    const { metrics, points, advance } = setup();
    const answer = await metrics.measure(CHAT, async () => ({
      status: 200,
      headers: STREAM_HEADERS,
      stream: sse(advance, ['a', 'b', 'c'], 10),
    }));
    const it = (answer.stream ?? [])[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ value: 'a', done: false });
    advance(5);
    expect(await it.return?.()).toEqual({ value: undefined, done: true });
    advance(50);
    await it.return?.();
    expect(points()[`Latency{service=router,Route=${CHAT}}`]).toBe(15);
  });

  it('a stream cut by an error records its latency and passes the error on', async () => {
    const { metrics, points, advance } = setup();
    const cut = new Error('upstream went away');
    const answer = await metrics.measure(CHAT, async () => ({
      status: 200,
      headers: STREAM_HEADERS,
      stream: sse(advance, ['a'], 7, cut),
    }));
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const piece of answer.stream ?? []) got.push(piece);
      })(),
    ).rejects.toBe(cut);
    expect(got).toEqual(['a']);
    expect(points()[`Latency{service=router,Route=${CHAT}}`]).toBe(7);
  });

  it('a stream without routing headers: no time to first token, latency by route at its end', async () => {
    const { metrics, points, advance } = setup();
    const answer = await metrics.measure(CHAT, async () => ({ status: 200, stream: sse(advance, ['x'], 4) }));
    for await (const _ of answer.stream ?? []) advance(0);
    expect(points()).toEqual({
      [`Requests{service=router,Route=${CHAT}}`]: 1,
      [`Latency{service=router,Route=${CHAT}}`]: 4,
    });
  });

  it('an error: counted as a request, an error by route and by class; rethrown as is', async () => {
    const { metrics, points, advance } = setup();
    const err = new InvalidRequestError('bad');
    await expect(
      metrics.measure(CHAT, async () => {
        advance(3);
        throw err;
      }),
    ).rejects.toBe(err);
    expect(points()).toEqual({
      [`Requests{service=router,Route=${CHAT}}`]: 1,
      [`Latency{service=router,Route=${CHAT}}`]: 3,
      [`Errors{service=router,Route=${CHAT}}`]: 1,
      'Errors{service=router,ErrorClass=client}': 1,
    });
  });

  it('every candidate failing is an upstream error', async () => {
    const { metrics, points } = setup();
    await expect(
      metrics.measure(CHAT, async () => {
        throw new TargetsExhaustedError([], false);
      }),
    ).rejects.toThrow();
    expect(points()['Errors{service=router,ErrorClass=upstream}']).toBe(1);
  });

  it('attempt outcomes: latency per endpoint, failures, and 429s as throttles', async () => {
    const { metrics, points } = setup();
    const outcomes: Outcome[] = [
      { endpoint: 'a', ok: false, latency_ms: 5, at: 0, failure: 'throttled' },
      { endpoint: 'a', ok: false, latency_ms: 7, at: 0, failure: 'server' },
      { endpoint: 'b', ok: true, latency_ms: 20, at: 0 },
    ];
    await metrics.measure(CHAT, async () => {
      metrics.outcomes(outcomes);
      return { status: 200 };
    });
    const p = points();
    expect(p['UpstreamLatency{service=router,Endpoint=a}']).toEqual([5, 7]);
    expect(p['UpstreamErrors{service=router,Endpoint=a}']).toEqual([1, 1]);
    expect(p['UpstreamThrottles{service=router,Endpoint=a}']).toBe(1);
    expect(p['UpstreamLatency{service=router,Endpoint=b}']).toBe(20);
    expect(p['UpstreamErrors{service=router,Endpoint=b}']).toBeUndefined();
  });

  it('a breaker opening counts; closing and half-open do not', async () => {
    const { metrics, points } = setup();
    await metrics.measure(CHAT, async () => {
      metrics.circuitChange({ endpoint: 'a', state: 'open', at: 1, opened_at: 1, until: 10 });
      metrics.circuitChange({ endpoint: 'a', state: 'half-open', at: 2, until: 11 });
      metrics.circuitChange({ endpoint: 'b', state: 'closed', at: 3, until: 12 });
      return { status: 200 };
    });
    const p = points();
    expect(p['CircuitOpens{service=router,Endpoint=a}']).toBe(1);
    expect(p['CircuitOpens{service=router}']).toBe(1);
    expect(Object.keys(p).filter((k) => k.startsWith('CircuitOpens'))).toEqual([
      'CircuitOpens{service=router,Endpoint=a}',
      'CircuitOpens{service=router}',
    ]);
  });

  it('samples in-flight counts at each request end, 0 for an endpoint seen before', async () => {
    const { metrics, points, inflight } = setup({ a: 3 });
    await metrics.measure(CHAT, async () => ({ status: 200 }));
    expect(points()['InFlight{service=router,Endpoint=a}']).toBe(3);
    delete inflight.a;
    inflight.b = 1;
    await metrics.measure(CHAT, async () => ({ status: 200 }));
    const p = points();
    expect(p['InFlight{service=router,Endpoint=a}']).toBe(0);
    expect(p['InFlight{service=router,Endpoint=b}']).toBe(1);
  });

  it('around() names the route by method and API resource', async () => {
    const { metrics, points } = setup();
    const fn = metrics.around(async (r: { method: string; resource: string }) => ({
      status: 200,
      body: r.resource,
    }));
    await fn({ method: 'GET', resource: '/v1/models' });
    expect(Object.keys(points())).toEqual([
      'Requests{service=router,Route=GET /v1/models}',
      'Latency{service=router,Route=GET /v1/models}',
    ]);
  });
});
