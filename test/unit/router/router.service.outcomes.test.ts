// The router's passive outcomes: every attempt that reached an upstream is recorded exactly once,
// however the plan ended (an answer, exhaustion, the upstream rejecting the request, or a request
// that could not be sent); rejected and not-sent attempts themselves count for nothing.
import type { Caller } from '@switchyard/adapters/lambda';
import { describe, expect, it } from 'vitest';
import { RouterService } from '../../../functions/router/router.service.ts';
import type { InferenceClient, Outcome, PlanTarget } from '../../../layers/core/src/index.ts';
import { InvalidRequestError, SwitchyardError, UpstreamError } from '../../../layers/core/src/index.ts';
import { compiled, endpoint, model, NO_HEALTH, NOW, policy } from '../core/fixtures.ts';

// quality-first over three models: the chain is always a, then b, then c.
const registry = compiled({
  models: [
    model('ma', { quality: { chat: 0.9 } }),
    model('mb', { quality: { chat: 0.6 } }),
    model('mc', { quality: { chat: 0.3 } }),
  ],
  endpoints: [endpoint('a', 'ma'), endpoint('b', 'mb'), endpoint('c', 'mc')],
  policies: [policy('auto', { strategy: 'quality-first', fallback: { count: 2, mode: 'cross-model' } })],
});
const caller: Caller = { tenant: 't1', role: 'consumer' };
const body = { model: 'auto', messages: [{ role: 'user', content: 'Hello' }] };

function service(answers: Record<string, Error | 'ok'>) {
  const recorded: Outcome[][] = [];
  const inference: InferenceClient = {
    invoke: async (target: PlanTarget) => {
      const a = answers[target.endpoint] ?? 'ok';
      if (a instanceof Error) throw a;
      return { body: { id: 'c1', object: 'chat.completion', choices: [] } };
    },
  };
  const svc = new RouterService({
    registry: { get: async () => registry },
    health: { get: async () => NO_HEALTH },
    inference,
    recordOutcomes: async (o) => {
      recorded.push(o);
    },
    now: () => NOW,
    random: () => 0.5,
    healthFreshMs: 90_000,
  });
  /** Every outcome recorded, as endpoint:failure (or endpoint:ok), and how many calls recorded them. */
  const seen = () => ({
    outcomes: recorded.flat().map((o) => `${o.endpoint}:${o.ok ? 'ok' : o.failure}`),
    calls: recorded.length,
  });
  return { svc, seen };
}

/** The HTTP status the call ends with. */
async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    // As the error middleware maps it: a domain error's status, anything else a 500.
    return err instanceof SwitchyardError ? err.status : 500;
  }
}

describe('passive outcomes, whatever ends the plan', () => {
  it('an answer after a failure: the failure and the success, once each', async () => {
    const { svc, seen } = service({ a: new UpstreamError('server', 'a broke', 500) });
    expect(await status(svc.chat(body, {}, caller))).toBe(200);
    expect(seen()).toEqual({ outcomes: ['a:server', 'b:ok'], calls: 1 });
  });

  it('a rejection after failures: the caller gets the 400, the failures before it are recorded', async () => {
    const { svc, seen } = service({
      a: new UpstreamError('server', 'a broke', 503),
      b: new UpstreamError('rejected', 'b refused the request', 400),
    });
    expect(await status(svc.chat(body, {}, caller))).toBe(400);
    expect(seen()).toEqual({ outcomes: ['a:server'], calls: 1 });
  });

  it('a request that could not be sent after a failure: the 400, and the failure before it', async () => {
    const { svc, seen } = service({
      a: new UpstreamError('connection', 'a reset'),
      b: new InvalidRequestError('cannot serialise', { code: 'request_not_serialisable' }),
    });
    expect(await status(svc.chat(body, {}, caller))).toBe(400);
    expect(seen()).toEqual({ outcomes: ['a:connection'], calls: 1 });
  });

  it('a defect after a failure: the 500, and the failure before it', async () => {
    const { svc, seen } = service({ a: new UpstreamError('timeout', 'slow'), b: new TypeError('bug') });
    expect(await status(svc.chat(body, {}, caller))).toBe(500);
    expect(seen()).toEqual({ outcomes: ['a:timeout'], calls: 1 });
  });

  it('exhaustion: every failure once', async () => {
    const { svc, seen } = service({
      a: new UpstreamError('server', 'a', 500),
      b: new UpstreamError('throttled', 'b', 429),
      c: new UpstreamError('invalid-response', 'c'),
    });
    expect(await status(svc.chat(body, {}, caller))).toBe(502);
    expect(seen()).toEqual({ outcomes: ['a:server', 'b:throttled', 'c:invalid-response'], calls: 1 });
  });

  it('a rejection first: nothing is recorded', async () => {
    const { svc, seen } = service({ a: new UpstreamError('rejected', 'no', 422) });
    expect(await status(svc.chat(body, {}, caller))).toBe(400);
    expect(seen()).toEqual({ outcomes: [], calls: 0 });
  });
});
