// executePlan with a fake InferenceClient: fallback order, non-retryable stop, per-attempt
// timeouts through the AbortSignal, the total deadline, hedging (winner and loser) and ensembles
// (first-success, majority-vote, best-score). Waits are driven by events (the fake client
// announces each invocation), never by sleeping; the few real timeouts are tens of ms.
import { describe, expect, it } from 'vitest';
import type {
  InferenceCall,
  InferenceClient,
  InferenceResult,
  Plan,
  PlanTarget,
  UpstreamFailure,
} from '../../../layers/core/src/index.ts';
import {
  executePlan,
  extractLabel,
  extractScore,
  InvalidRequestError,
  runPlan,
  TargetsExhaustedError,
  UpstreamError,
} from '../../../layers/core/src/index.ts';

type Behaviour =
  | { kind: 'ok'; body?: unknown }
  | { kind: 'fail'; failure: UpstreamFailure; status?: number }
  | { kind: 'throw'; error: unknown }
  /** Honours the signal: rejects with a timeout UpstreamError when aborted. */
  | { kind: 'hang' }
  /** Ignores the signal and never settles. */
  | { kind: 'deaf' }
  /** Settles when the test calls `client.answer(endpoint, body)`. */
  | { kind: 'manual' };

class FakeClient implements InferenceClient {
  readonly calls: string[] = [];
  readonly signals = new Map<string, AbortSignal>();
  private readonly answers = new Map<string, (body: unknown) => void>();
  private readonly waiters = new Map<string, Array<() => void>>();

  constructor(private readonly behaviour: Record<string, Behaviour>) {}

  invoke(target: PlanTarget, _call: InferenceCall, signal: AbortSignal): Promise<InferenceResult> {
    const id = target.endpoint;
    this.calls.push(id);
    this.signals.set(id, signal);
    for (const w of this.waiters.get(id) ?? []) w();
    const b = this.behaviour[id] ?? { kind: 'ok' };
    switch (b.kind) {
      case 'ok':
        return Promise.resolve({ body: b.body ?? { from: id } });
      case 'fail':
        return Promise.reject(new UpstreamError(b.failure, `${id} failed: ${b.failure}`, b.status));
      case 'throw':
        return Promise.reject(b.error);
      case 'deaf':
        return new Promise(() => {});
      case 'hang':
        return new Promise((_, reject) => {
          signal.addEventListener('abort', () => reject(new UpstreamError('timeout', `${id} aborted`)));
        });
      case 'manual':
        return new Promise((resolve, reject) => {
          this.answers.set(id, (body) => resolve({ body }));
          signal.addEventListener('abort', () => reject(new UpstreamError('timeout', `${id} aborted`)));
        });
    }
  }

  /** Resolves once `endpoint` has been invoked. */
  invoked(endpoint: string): Promise<void> {
    if (this.calls.includes(endpoint)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(endpoint) ?? [];
      list.push(resolve);
      this.waiters.set(endpoint, list);
    });
  }

  answer(endpoint: string, body: unknown): void {
    const f = this.answers.get(endpoint);
    if (!f) throw new Error(`${endpoint} is not waiting for an answer`);
    f(body);
  }
}

const target = (endpoint: string, over: Partial<PlanTarget> = {}): PlanTarget => ({
  endpoint,
  model: `model-${endpoint}`,
  version: 'v1',
  kind: 'openai-http',
  target: `http://${endpoint}/v1`,
  region: 'us-east-1',
  upstream_model: endpoint,
  timeout_ms: 5_000,
  estimated_cost_usd: 0,
  ...over,
});

function plan(ids: string[], over: Partial<Plan> = {}, targetOver: Partial<PlanTarget> = {}): Plan {
  const [first, ...rest] = ids.map((id) => target(id, targetOver));
  return {
    policy: 'test',
    primary: first as PlanTarget,
    fallbacks: rest,
    attempt_timeout_ms: 5_000,
    deadline_ms: 20_000,
    max_attempts_per_target: 1,
    ...over,
  };
}

const call: InferenceCall = { kind: 'invocation', task: 'sentiment', payload: { text: 'hi' } };
const deps = (client: InferenceClient) => ({ client, now: Date.now });

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('executePlan: sequential', () => {
  it('returns the primary`s answer after one attempt', async () => {
    const client = new FakeClient({});
    const out = await executePlan(plan(['a', 'b']), call, deps(client));
    expect(out.target.endpoint).toBe('a');
    expect(out.result.body).toEqual({ from: 'a' });
    expect(out.attempts.map((x) => [x.endpoint, x.outcome])).toEqual([['a', 'success']]);
    expect(client.calls).toEqual(['a']);
  });

  it('moves through the fallbacks in order on retryable failures', async () => {
    const client = new FakeClient({
      a: { kind: 'fail', failure: 'server', status: 500 },
      b: { kind: 'fail', failure: 'throttled', status: 429 },
    });
    const out = await executePlan(plan(['a', 'b', 'c', 'd']), call, deps(client));
    expect(out.target.endpoint).toBe('c');
    expect(out.attempts.map((x) => [x.endpoint, x.outcome, x.status])).toEqual([
      ['a', 'server', 500],
      ['b', 'throttled', 429],
      ['c', 'success', undefined],
    ]);
    expect(client.calls).toEqual(['a', 'b', 'c']);
  });

  it('ends the plan on an error that is no UpstreamError: outcome not-sent, no fallback, the error as thrown', async () => {
    const bug = new TypeError('x is not a function');
    const client = new FakeClient({ a: { kind: 'throw', error: bug } });
    const err = await rejection(executePlan(plan(['a', 'b', 'c']), call, deps(client)));
    expect(err).toBe(bug);
    expect(client.calls).toEqual(['a']);
  });

  it("ends the plan with the caller's InvalidRequestError when the request cannot be built", async () => {
    const invalid = new InvalidRequestError('cannot serialise', { code: 'request_not_serialisable' });
    const client = new FakeClient({
      a: { kind: 'fail', failure: 'connection' },
      b: { kind: 'throw', error: invalid },
    });
    const err = await rejection(executePlan(plan(['a', 'b', 'c']), call, deps(client)));
    expect(err).toBe(invalid);
    expect((err as InvalidRequestError).status).toBe(400);
    expect(client.calls).toEqual(['a', 'b']);
  });

  it("records a not-sent attempt with a caller error's message, and none of a defect's detail", async () => {
    // An ensemble member that was not sent is outvoted: the answer's attempts show its record.
    const client = new FakeClient({
      a: { kind: 'throw', error: new InvalidRequestError('too deep') },
      b: { kind: 'throw', error: new RangeError('secret internals') },
      c: { kind: 'ok' },
    });
    const ens = plan(['a'], {
      ensemble: { targets: [target('a'), target('b'), target('c')], combine: 'first-success' },
    });
    const out = await executePlan(ens, call, deps(client));
    expect(out.target.endpoint).toBe('c');
    expect(out.attempts.map((x) => [x.endpoint, x.outcome, x.error])).toEqual([
      ['a', 'not-sent', 'too deep'],
      ['b', 'not-sent', 'internal error: the request was not sent'],
      ['c', 'success', undefined],
    ]);
  });

  it('an ensemble whose members were all not sent ends with the first one`s error', async () => {
    const invalid = new InvalidRequestError('too deep');
    const client = new FakeClient({
      a: { kind: 'fail', failure: 'server' },
      b: { kind: 'throw', error: invalid },
    });
    const ens = plan(['a'], { ensemble: { targets: [target('a'), target('b')], combine: 'majority-vote' } });
    expect(await rejection(executePlan(ens, call, deps(client)))).toBe(invalid);
  });

  it('stops at once on a non-retryable (rejected) failure', async () => {
    const client = new FakeClient({ a: { kind: 'fail', failure: 'rejected', status: 400 } });
    const err = await rejection(executePlan(plan(['a', 'b']), call, deps(client)));
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).failure).toBe('rejected');
    expect(client.calls).toEqual(['a']);
  });

  it('throws TargetsExhaustedError (502) listing every attempt when all fail', async () => {
    const client = new FakeClient({
      a: { kind: 'fail', failure: 'server' },
      b: { kind: 'fail', failure: 'connection' },
    });
    const err = await rejection(executePlan(plan(['a', 'b']), call, deps(client)));
    expect(err).toBeInstanceOf(TargetsExhaustedError);
    const e = err as TargetsExhaustedError;
    expect(e.status).toBe(502);
    expect(e.attempts.map((x) => x.outcome)).toEqual(['server', 'connection']);
    expect(e.message).toContain('a (server), b (connection)');
  });

  it('aborts an attempt after its timeout through the signal, then falls back', async () => {
    const client = new FakeClient({ a: { kind: 'hang' } });
    const out = await executePlan(plan(['a', 'b'], {}, { timeout_ms: 20 }), call, deps(client));
    expect(client.signals.get('a')?.aborted).toBe(true);
    expect(client.signals.get('b')?.aborted).toBe(false);
    expect(out.attempts.map((x) => [x.endpoint, x.outcome])).toEqual([
      ['a', 'timeout'],
      ['b', 'success'],
    ]);
  });

  it('does not wait for a client that ignores the signal', async () => {
    const client = new FakeClient({ a: { kind: 'deaf' } });
    const out = await executePlan(plan(['a', 'b'], {}, { timeout_ms: 20 }), call, deps(client));
    expect(out.attempts.map((x) => x.outcome)).toEqual(['timeout', 'success']);
  });

  it('gives up with a 504 when the deadline runs out, recording the targets it skipped', async () => {
    const client = new FakeClient({ a: { kind: 'hang' } });
    const err = await rejection(executePlan(plan(['a', 'b', 'c'], { deadline_ms: 25 }), call, deps(client)));
    expect(err).toBeInstanceOf(TargetsExhaustedError);
    const e = err as TargetsExhaustedError;
    expect(e.status).toBe(504);
    expect(e.code).toBe('deadline_exceeded');
    expect(e.attempts.map((x) => [x.endpoint, x.outcome])).toEqual([
      ['a', 'timeout'],
      ['b', 'skipped-deadline'],
      ['c', 'skipped-deadline'],
    ]);
    expect(client.calls).toEqual(['a']);
  });

  it('never calls the same endpoint twice', async () => {
    const client = new FakeClient({ a: { kind: 'fail', failure: 'server' } });
    const p = plan(['a', 'b']);
    p.fallbacks.unshift(target('a'));
    await executePlan(p, call, deps(client));
    expect(client.calls).toEqual(['a', 'b']);
  });
});

describe('executePlan: hedging', () => {
  const hedged = (delay: number) => {
    const p = plan(['a', 'b', 'c']);
    p.hedge = { delay_ms: delay, target: p.fallbacks[0] as PlanTarget };
    return p;
  };

  it('starts the hedge when the primary is slow; the hedge wins and the primary is aborted', async () => {
    const client = new FakeClient({ a: { kind: 'manual' } });
    const out = await executePlan(hedged(5), call, deps(client));
    expect(out.target.endpoint).toBe('b');
    expect(client.signals.get('a')?.aborted).toBe(true);
    expect(out.attempts.map((x) => [x.endpoint, x.outcome])).toEqual([
      ['a', 'aborted'],
      ['b', 'success'],
    ]);
    expect(client.calls).toEqual(['a', 'b']);
  });

  it('lets the primary win when it answers after the hedge started; the hedge is aborted', async () => {
    const client = new FakeClient({ a: { kind: 'manual' }, b: { kind: 'manual' } });
    const running = executePlan(hedged(5), call, deps(client));
    await client.invoked('b');
    client.answer('a', { from: 'a' });
    const out = await running;
    expect(out.target.endpoint).toBe('a');
    expect(client.signals.get('b')?.aborted).toBe(true);
    expect(out.attempts.map((x) => [x.endpoint, x.outcome])).toEqual([
      ['a', 'success'],
      ['b', 'aborted'],
    ]);
  });

  it('does not hedge when the primary answers before the delay', async () => {
    const client = new FakeClient({});
    const out = await executePlan(hedged(60_000), call, deps(client));
    expect(client.calls).toEqual(['a']);
    expect(out.attempts).toHaveLength(1);
  });

  it('moves on normally (hedge target next, once) when the primary fails before the delay', async () => {
    const client = new FakeClient({
      a: { kind: 'fail', failure: 'server' },
      b: { kind: 'fail', failure: 'server' },
    });
    const out = await executePlan(hedged(60_000), call, deps(client));
    expect(client.calls).toEqual(['a', 'b', 'c']);
    expect(out.target.endpoint).toBe('c');
  });

  it('keeps waiting for the primary when the hedge fails first (no third target meanwhile)', async () => {
    const client = new FakeClient({ a: { kind: 'manual' }, b: { kind: 'fail', failure: 'server' } });
    const running = executePlan(hedged(5), call, deps(client));
    await client.invoked('b');
    client.answer('a', { from: 'a' });
    const out = await running;
    expect(out.target.endpoint).toBe('a');
    expect(out.attempts.map((x) => [x.endpoint, x.outcome])).toEqual([
      ['a', 'success'],
      ['b', 'server'],
    ]);
    expect(client.calls).toEqual(['a', 'b']);
  });

  it('falls through to the next fallback when the primary and the hedge both fail', async () => {
    const client = new FakeClient({ a: { kind: 'hang' }, b: { kind: 'fail', failure: 'server' } });
    const p = hedged(5);
    p.primary = target('a', { timeout_ms: 40 });
    const out = await executePlan(p, call, deps(client));
    expect(out.target.endpoint).toBe('c');
    expect(out.attempts.map((x) => [x.endpoint, x.outcome])).toEqual([
      ['a', 'timeout'],
      ['b', 'server'],
      ['c', 'success'],
    ]);
  });
});

describe('executePlan: ensembles', () => {
  const ens = (
    ids: string[],
    combine: 'first-success' | 'majority-vote' | 'best-score',
    quality: number[] = [],
  ) => {
    const p = plan(ids);
    p.ensemble = {
      combine,
      targets: ids.map((id, i) => target(id, quality[i] === undefined ? {} : { quality: quality[i] })),
    };
    return p;
  };

  it('first-success: takes the first answer and aborts the rest', async () => {
    const client = new FakeClient({ a: { kind: 'hang' }, b: { kind: 'ok', body: { label: 'x' } } });
    const out = await executePlan(ens(['a', 'b'], 'first-success'), call, deps(client));
    expect(out.target.endpoint).toBe('b');
    expect(out.ensemble).toMatchObject({ requested: 'first-success', combine: 'first-success', winner: 'b' });
    expect(out.ensemble?.members.map((m) => [m.endpoint, m.outcome])).toEqual([
      ['a', 'aborted'],
      ['b', 'success'],
    ]);
    expect(client.signals.get('a')?.aborted).toBe(true);
  });

  it('majority-vote: the most common label wins, normalised, with each member`s vote', async () => {
    const client = new FakeClient({
      a: { kind: 'ok', body: { label: 'Positive' } },
      b: {
        kind: 'ok',
        body: [
          { label: 'negative', score: 0.9 },
          { label: 'positive', score: 0.1 },
        ],
      },
      c: { kind: 'ok', body: { labels: [{ label: 'positive ', score: 0.7 }] } },
    });
    const out = await executePlan(ens(['a', 'b', 'c'], 'majority-vote'), call, deps(client));
    expect(out.ensemble?.combine).toBe('majority-vote');
    expect(out.ensemble?.reason).toContain('"positive"');
    expect(out.ensemble?.members.map((m) => m.label)).toEqual(['positive', 'negative', 'positive']);
    expect(['a', 'c']).toContain(out.target.endpoint);
  });

  it('majority-vote: returns as soon as a label has a strict majority, aborting the rest', async () => {
    const client = new FakeClient({
      a: { kind: 'ok', body: { label: 'spam' } },
      b: { kind: 'hang' },
      c: { kind: 'ok', body: { label: 'spam' } },
    });
    const out = await executePlan(ens(['a', 'b', 'c'], 'majority-vote'), call, deps(client));
    expect(out.ensemble?.reason).toContain('2 of 3');
    expect(client.signals.get('b')?.aborted).toBe(true);
    expect(out.ensemble?.members.find((m) => m.endpoint === 'b')?.outcome).toBe('aborted');
  });

  it('majority-vote: a tie goes to the best-ranked member; chat answers vote with their content', async () => {
    const chat = (content: string) => ({
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    });
    const client = new FakeClient({
      a: { kind: 'ok', body: chat('Yes') },
      b: { kind: 'ok', body: chat('no') },
    });
    const out = await executePlan(ens(['a', 'b'], 'majority-vote'), call, deps(client));
    expect(out.target.endpoint).toBe('a');
    expect(out.ensemble?.members.map((m) => m.label)).toEqual(['yes', 'no']);
  });

  it('majority-vote: without labels it falls back to the first success and says so', async () => {
    const client = new FakeClient({
      a: { kind: 'fail', failure: 'server' },
      b: { kind: 'ok', body: { vector: [1, 2] } },
    });
    const out = await executePlan(ens(['a', 'b'], 'majority-vote'), call, deps(client));
    expect(out.target.endpoint).toBe('b');
    expect(out.ensemble).toMatchObject({ requested: 'majority-vote', combine: 'first-success' });
    expect(out.ensemble?.members.map((m) => m.outcome)).toEqual(['server', 'success']);
  });

  it('best-score: the highest score wins', async () => {
    const client = new FakeClient({
      a: { kind: 'ok', body: { label: 'x', score: 0.4 } },
      b: { kind: 'ok', body: { label: 'y', confidence: 0.93 } },
      c: { kind: 'fail', failure: 'server' },
    });
    const out = await executePlan(ens(['a', 'b', 'c'], 'best-score'), call, deps(client));
    expect(out.target.endpoint).toBe('b');
    expect(out.ensemble).toMatchObject({ combine: 'best-score', winner: 'b' });
    expect(out.ensemble?.members.map((m) => m.score)).toEqual([0.4, 0.93, undefined]);
  });

  it('best-score: without scores the highest-quality target`s answer wins', async () => {
    const client = new FakeClient({});
    const out = await executePlan(ens(['a', 'b', 'c'], 'best-score', [0.7, 0.9, 0.8]), call, deps(client));
    expect(out.target.endpoint).toBe('b');
    expect(out.ensemble?.reason).toContain('highest-quality');
  });

  it('throws TargetsExhaustedError when every member fails, or the rejection when one was rejected', async () => {
    const failing = new FakeClient({ a: { kind: 'fail', failure: 'server' }, b: { kind: 'hang' } });
    const p = ens(['a', 'b'], 'majority-vote');
    p.deadline_ms = 30;
    const err = await rejection(executePlan(p, call, deps(failing)));
    expect(err).toBeInstanceOf(TargetsExhaustedError);
    expect((err as TargetsExhaustedError).status).toBe(504);
    const rejecting = new FakeClient({
      a: { kind: 'fail', failure: 'rejected' },
      b: { kind: 'fail', failure: 'server' },
    });
    const err2 = await rejection(executePlan(ens(['a', 'b'], 'best-score'), call, deps(rejecting)));
    expect((err2 as UpstreamError).failure).toBe('rejected');
  });
});

describe('runPlan: every ending carries its attempts', () => {
  const outcomes = (attempts: readonly { endpoint: string; outcome: string }[]) =>
    attempts.map((x) => `${x.endpoint}:${x.outcome}`);

  it('an answer: ok, with every attempt (the failed ones before it too)', async () => {
    const client = new FakeClient({ a: { kind: 'fail', failure: 'server', status: 500 }, b: { kind: 'ok' } });
    const out = await runPlan(plan(['a', 'b']), call, deps(client));
    expect(out.ok).toBe(true);
    expect(outcomes(out.attempts)).toEqual(['a:server', 'b:success']);
  });

  it('a rejection after failures: the rejection as thrown, and the failures before it', async () => {
    const rejected = new UpstreamError('rejected', 'b refused the request', 400);
    const client = new FakeClient({
      a: { kind: 'fail', failure: 'connection' },
      b: { kind: 'throw', error: rejected },
      c: { kind: 'ok' },
    });
    const out = await runPlan(plan(['a', 'b', 'c']), call, deps(client));
    expect(out.ok).toBe(false);
    expect(!out.ok && out.error).toBe(rejected);
    expect(outcomes(out.attempts)).toEqual(['a:connection', 'b:rejected']);
    expect(client.calls).toEqual(['a', 'b']);
  });

  it('a request that could not be sent after failures: its error as thrown, and the failures before it', async () => {
    const unsendable = new InvalidRequestError('cannot serialise the body', {
      code: 'request_not_serialisable',
    });
    const client = new FakeClient({
      a: { kind: 'fail', failure: 'server', status: 503 },
      b: { kind: 'throw', error: unsendable },
    });
    const out = await runPlan(plan(['a', 'b', 'c']), call, deps(client));
    expect(!out.ok && out.error).toBe(unsendable);
    expect(outcomes(out.attempts)).toEqual(['a:server', 'b:not-sent']);
  });

  it('a defect after failures: the defect as thrown, and the failures before it', async () => {
    const defect = new TypeError('x is undefined');
    const client = new FakeClient({
      a: { kind: 'fail', failure: 'timeout' },
      b: { kind: 'throw', error: defect },
    });
    const out = await runPlan(plan(['a', 'b']), call, deps(client));
    expect(!out.ok && out.error).toBe(defect);
    expect(outcomes(out.attempts)).toEqual(['a:timeout', 'b:not-sent']);
  });

  it('exhaustion: the TargetsExhaustedError, whose attempts are the same ones', async () => {
    const client = new FakeClient({
      a: { kind: 'fail', failure: 'server' },
      b: { kind: 'fail', failure: 'throttled' },
    });
    const out = await runPlan(plan(['a', 'b']), call, deps(client));
    expect(!out.ok && out.error).toBeInstanceOf(TargetsExhaustedError);
    expect(outcomes(out.attempts)).toEqual(['a:server', 'b:throttled']);
    expect(!out.ok && (out.error as TargetsExhaustedError).attempts).toEqual(out.attempts);
  });

  it('an ensemble ended by a rejection: every member`s attempt', async () => {
    const p = plan(['a', 'b', 'c']);
    p.ensemble = { combine: 'best-score', targets: [target('a'), target('b'), target('c')] };
    const client = new FakeClient({
      a: { kind: 'fail', failure: 'server' },
      b: { kind: 'fail', failure: 'rejected' },
      c: { kind: 'fail', failure: 'connection' },
    });
    const out = await runPlan(p, call, deps(client));
    expect(!out.ok && (out.error as UpstreamError).failure).toBe('rejected');
    expect(outcomes(out.attempts)).toEqual(['a:server', 'b:rejected', 'c:connection']);
  });

  it('executePlan throws the same error runPlan ends with', async () => {
    const rejected = new UpstreamError('rejected', 'no', 422);
    const client = new FakeClient({
      a: { kind: 'fail', failure: 'server' },
      b: { kind: 'throw', error: rejected },
    });
    expect(await rejection(executePlan(plan(['a', 'b']), call, deps(client)))).toBe(rejected);
  });
});

describe('label and score extraction', () => {
  it('reads labels from the common answer shapes', () => {
    expect(extractLabel({ label: ' A ' })).toBe('a');
    expect(extractLabel({ labels: ['b', 'c'] })).toBe('b');
    expect(
      extractLabel([
        [
          { label: 'x', score: 0.1 },
          { label: 'y', score: 0.8 },
        ],
      ]),
    ).toBe('y');
    expect(extractLabel('plain')).toBe('plain');
    expect(extractLabel({ labels: [{ label: 'lost', score: 0.9 }, [{ label: 'inner', score: 0.1 }]] })).toBe(
      'inner',
    );
    expect(extractLabel({ vector: [1] })).toBeUndefined();
    expect(extractLabel({ choices: [{ message: { content: '' } }] })).toBeUndefined();
  });

  it('reads a label nested 10,000 lists deep without overflowing the stack', () => {
    let deep: unknown = [{ label: 'Deep', score: 0.5 }];
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(extractLabel(deep)).toBe('deep');
    expect(extractScore(deep)).toBe(0.5);
  });

  it('reads scores from score, confidence or the top label', () => {
    expect(extractScore({ score: 0.2 })).toBe(0.2);
    expect(extractScore({ confidence: 0.3 })).toBe(0.3);
    expect(
      extractScore({
        labels: [
          { label: 'a', score: 0.1 },
          { label: 'b', score: 0.6 },
        ],
      }),
    ).toBe(0.6);
    expect(extractScore([{ label: 'a', score: 0.5 }])).toBe(0.5);
    expect(extractScore({ label: 'a' })).toBeUndefined();
  });
});
