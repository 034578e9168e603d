// streamPlan under fake timers: before the first chunk a stream is any request (fallbacks, the
// attempt timeout bounding the time to first token, hedging with the loser closed); after it a
// failure ends in an error event (never a silent end) and counts against the endpoint, or, with
// resume, the next untried fallback continues from the text so far; the idle limit between
// chunks; a client that leaves aborts the upstream; TTFT, gaps, chunk counts and usage per attempt.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type {
  InferenceCall,
  InferenceChunk,
  InferenceClient,
  Plan,
  PlanTarget,
  StreamEvent,
  StreamStart,
  UpstreamFailure,
} from '../../../layers/core/src/index.ts';
import { resumeCall, streamPlan, UpstreamError } from '../../../layers/core/src/index.ts';

interface Script {
  /** ms before the first piece (or the failure before it). */
  ttft: number;
  pieces?: string[];
  /** ms between pieces. */
  gap?: number;
  /** Fail before the first chunk. */
  failBefore?: UpstreamFailure;
  /** After the pieces: finish (default), fail, or go silent. */
  end?: 'finish' | 'hang' | { fail: UpstreamFailure };
  usage?: { prompt_tokens: number; completion_tokens: number };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new UpstreamError('timeout', 'aborted'));
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new UpstreamError('timeout', 'aborted'));
      },
      { once: true },
    );
  });

class ScriptedClient implements InferenceClient {
  readonly calls: Array<{ endpoint: string; call: InferenceCall; signal: AbortSignal }> = [];
  constructor(private readonly scripts: Record<string, Script>) {}
  invoke(): never {
    throw new Error('not used');
  }
  async *stream(
    target: PlanTarget,
    call: InferenceCall,
    signal: AbortSignal,
  ): AsyncGenerator<InferenceChunk> {
    this.calls.push({ endpoint: target.endpoint, call, signal });
    const s = this.scripts[target.endpoint] as Script;
    await sleep(s.ttft, signal);
    if (s.failBefore) throw new UpstreamError(s.failBefore, `${target.endpoint}: ${s.failBefore}`);
    const pieces = s.pieces ?? [];
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0) await sleep(s.gap ?? 10, signal);
      yield { text: pieces[i] as string };
    }
    const end = s.end ?? 'finish';
    if (end === 'hang') {
      await sleep(1e9, signal);
      return;
    }
    if (end !== 'finish') throw new UpstreamError(end.fail, `${target.endpoint}: dropped`);
    yield { finish_reason: 'stop' };
    if (s.usage) yield { usage: s.usage };
  }
}

const target = (endpoint: string, timeout_ms = 1_000): PlanTarget => ({
  endpoint,
  model: `model-${endpoint}`,
  version: 'v1',
  kind: 'openai-http',
  target: `http://${endpoint}/v1`,
  region: 'us-east-1',
  upstream_model: 'm',
  timeout_ms,
  estimated_cost_usd: 0,
});

const plan = (targets: PlanTarget[], over: Partial<Plan> = {}): Plan => ({
  policy: 'p',
  primary: targets[0] as PlanTarget,
  fallbacks: targets.slice(1),
  attempt_timeout_ms: 1_000,
  deadline_ms: 10_000,
  max_attempts_per_target: 1,
  ...over,
});

const chat: InferenceCall = {
  kind: 'chat',
  body: { model: 'auto', messages: [{ role: 'user', content: 'tell me' }] },
};

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_700_000_000_000);
});
afterEach(() => {
  vi.useRealTimers();
});

/** Runs the plan and reads every event, advancing the fake clock as far as needed. */
async function drive(
  p: Plan,
  client: InferenceClient,
  options: { resume?: boolean; signal?: AbortSignal } = {},
) {
  const started = streamPlan(p, chat, { client, now: () => Date.now() }, { promptTokens: 12, ...options });
  let start: StreamStart | undefined;
  void started.then((s) => {
    start = s;
  });
  while (!start) await vi.advanceTimersByTimeAsync(1);
  const events: StreamEvent[] = [];
  if (start.ok) {
    const reading = (async () => {
      for await (const e of start.events) events.push(e);
    })();
    let over = false;
    void reading.then(() => {
      over = true;
    });
    while (!over) await vi.advanceTimersByTimeAsync(1);
  }
  return {
    start,
    events,
    text: events.map((e) => (e.type === 'chunk' ? (e.chunk.text ?? '') : '')).join(''),
  };
}

describe('streamPlan before the first chunk', () => {
  it('a primary that fails before its first chunk is invisible: the fallback serves', async () => {
    const client = new ScriptedClient({
      a: { ttft: 20, failBefore: 'server' },
      b: { ttft: 30, pieces: ['Hi ', 'there'], gap: 5, usage: { prompt_tokens: 9, completion_tokens: 2 } },
    });
    const { start, events, text } = await drive(plan([target('a'), target('b')]), client);
    expect(text).toBe('Hi there');
    expect(events.map((e) => e.type)).toEqual(['chunk', 'chunk', 'finish', 'usage']);
    expect(events.at(-1)).toEqual({ type: 'usage', usage: { prompt_tokens: 9, completion_tokens: 2 } });
    if (!start.ok) throw new Error('expected a stream');
    expect(start.target.endpoint).toBe('b');
    const summary = await start.summary;
    expect(summary.ended).toBe('completed');
    expect(summary.usage_source).toBe('upstream');
    expect(summary.attempts).toEqual([
      expect.objectContaining({ endpoint: 'a', outcome: 'server', duration_ms: 20 }),
      expect.objectContaining({ endpoint: 'b', outcome: 'success', ttft_ms: 30, duration_ms: 35, chunks: 4 }),
    ]);
  });

  it('the attempt timeout bounds the time to first token: 1 ms over it moves on', async () => {
    const client = new ScriptedClient({
      a: { ttft: 101, pieces: ['late'] },
      b: { ttft: 5, pieces: ['ok'] },
    });
    const { start, text } = await drive(plan([target('a', 100), target('b')]), client);
    expect(text).toBe('ok');
    if (!start.ok) throw new Error('expected a stream');
    expect(start.attempts[0]).toMatchObject({ endpoint: 'a', outcome: 'timeout', duration_ms: 100 });
  });

  it('a first chunk 1 ms before the attempt timeout is in time', async () => {
    const client = new ScriptedClient({
      a: { ttft: 99, pieces: ['just in time'] },
      b: { ttft: 5, pieces: ['b'] },
    });
    const { text } = await drive(plan([target('a', 100), target('b')]), client);
    expect(text).toBe('just in time');
  });

  it('every target failing before a chunk is the plan error, and nothing streams', async () => {
    const client = new ScriptedClient({
      a: { ttft: 1, failBefore: 'server' },
      b: { ttft: 1, failBefore: 'connection' },
    });
    const { start } = await drive(plan([target('a'), target('b')]), client);
    expect(start.ok).toBe(false);
    if (start.ok) return;
    expect(start.error).toMatchObject({ status: 502, code: 'all_targets_failed' });
    expect(start.attempts.map((a) => a.outcome)).toEqual(['server', 'connection']);
  });

  it('hedging: the first stream to send a chunk wins and the other is aborted', async () => {
    const client = new ScriptedClient({
      a: { ttft: 300, pieces: ['slow'] },
      b: { ttft: 20, pieces: ['fast'] },
    });
    const p = plan([target('a'), target('b')], { hedge: { delay_ms: 50, target: target('b') } });
    const { start, text } = await drive(p, client);
    expect(text).toBe('fast');
    expect(client.calls.map((c) => c.endpoint)).toEqual(['a', 'b']);
    expect(client.calls[0]?.signal.aborted).toBe(true);
    expect(client.calls[1]?.signal.aborted).toBe(false);
    if (!start.ok) throw new Error('expected a stream');
    expect(start.attempts.map((a) => [a.endpoint, a.outcome])).toEqual([
      ['a', 'aborted'],
      ['b', 'success'],
    ]);
  });
});

describe('streamPlan after the first chunk', () => {
  it('a cut ends with an error event (no finish), counted against the endpoint; no fallback', async () => {
    const client = new ScriptedClient({
      a: { ttft: 10, pieces: ['Hello ', 'wor'], gap: 7, end: { fail: 'connection' } },
      b: { ttft: 1, pieces: ['never'] },
    });
    const { start, events, text } = await drive(plan([target('a'), target('b')]), client);
    expect(text).toBe('Hello wor');
    expect(events.at(-1)).toEqual({
      type: 'error',
      error: {
        message: 'The upstream stream failed after 2 chunks (connection); the answer is incomplete.',
        type: 'upstream_error',
        code: 'stream_interrupted',
      },
    });
    expect(events.some((e) => e.type === 'finish')).toBe(false);
    expect(client.calls.map((c) => c.endpoint)).toEqual(['a']);
    if (!start.ok) throw new Error('expected a stream');
    const summary = await start.summary;
    expect(summary.ended).toBe('failed');
    expect(summary.attempts).toEqual([
      expect.objectContaining({
        endpoint: 'a',
        outcome: 'connection',
        ttft_ms: 10,
        duration_ms: 17,
        chunks: 2,
        inter_token_ms: 7,
        error: 'stream cut after 2 chunks: a: dropped',
      }),
    ]);
  });

  it('with resume, the next untried fallback continues from the text so far, and the finish says so', async () => {
    const client = new ScriptedClient({
      a: { ttft: 5, failBefore: 'server' },
      b: { ttft: 10, pieces: ['Hello ', 'wor'], end: { fail: 'connection' } },
      c: { ttft: 10, pieces: ['ld'], usage: { prompt_tokens: 40, completion_tokens: 1 } },
    });
    const { start, events, text } = await drive(plan([target('a'), target('b'), target('c')]), client, {
      resume: true,
    });
    expect(text).toBe('Hello world');
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    expect(events.at(-2)).toEqual({
      type: 'finish',
      index: 0,
      finish_reason: 'stop',
      resumed_by: [{ endpoint: 'c', model: 'model-c', version: 'v1', after_chars: 9 }],
    });
    // The prompt is the caller's (12 estimated); the output counts the prefix's tokens ("Hello wor": 3) and c's 1.
    expect(events.at(-1)).toEqual({ type: 'usage', usage: { prompt_tokens: 12, completion_tokens: 4 } });
    const resumed = client.calls[2]?.call;
    expect(resumed).toEqual(resumeCall(chat, 'Hello wor'));
    expect(resumed).toMatchObject({
      body: {
        messages: [
          { role: 'user', content: 'tell me' },
          { role: 'assistant', content: 'Hello wor' },
        ],
        continue_final_message: true,
        add_generation_prompt: false,
      },
    });
    if (!start.ok) throw new Error('expected a stream');
    const summary = await start.summary;
    expect(summary.target.endpoint).toBe('c');
    expect(summary.usage_source).toBe('counted');
    expect(summary.attempts.map((a) => [a.endpoint, a.outcome])).toEqual([
      ['a', 'server'],
      ['b', 'connection'],
      ['c', 'success'],
    ]);
  });

  it('with resume but no untried target left, the cut still ends with the error event', async () => {
    const client = new ScriptedClient({ a: { ttft: 5, pieces: ['x'], end: { fail: 'server' } } });
    const { events } = await drive(plan([target('a')]), client, { resume: true });
    expect(events.map((e) => e.type)).toEqual(['chunk', 'error']);
  });

  it('silence between chunks longer than the attempt timeout is a timeout, at exactly that time', async () => {
    const client = new ScriptedClient({ a: { ttft: 10, pieces: ['one'], end: 'hang' } });
    const p = plan([target('a', 200)]);
    const started = streamPlan(p, chat, { client, now: () => Date.now() }, { promptTokens: 1 });
    await vi.advanceTimersByTimeAsync(10);
    const start = await started;
    if (!start.ok) throw new Error('expected a stream');
    const it = start.events[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ value: { type: 'chunk', chunk: { text: 'one' } }, done: false });
    let last: IteratorResult<StreamEvent> | undefined;
    void it.next().then((r) => {
      last = r;
    });
    await vi.advanceTimersByTimeAsync(199);
    expect(last).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(last?.value).toMatchObject({ type: 'error', error: { code: 'stream_interrupted' } });
    expect(client.calls[0]?.signal.aborted).toBe(true);
    expect(await it.next()).toEqual({ value: undefined, done: true });
    expect((await start.summary).attempts[0]).toMatchObject({ outcome: 'timeout', duration_ms: 210 });
  });

  it('a client that leaves aborts the upstream call; the attempt counts neither way', async () => {
    const client = new ScriptedClient({ a: { ttft: 10, pieces: ['a', 'b', 'c'], gap: 100 } });
    const gone = new AbortController();
    const started = streamPlan(
      plan([target('a')]),
      chat,
      { client, now: () => Date.now() },
      {
        promptTokens: 1,
        signal: gone.signal,
      },
    );
    await vi.advanceTimersByTimeAsync(10);
    const start = await started;
    if (!start.ok) throw new Error('expected a stream');
    const it = start.events[Symbol.asyncIterator]();
    await it.next();
    const pending = it.next();
    await vi.advanceTimersByTimeAsync(30);
    gone.abort();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(client.calls[0]?.signal.aborted).toBe(true);
    const summary = await start.summary;
    expect(summary.ended).toBe('client-gone');
    expect(summary.attempts[0]).toMatchObject({
      outcome: 'aborted',
      error: 'the client closed the connection',
    });
  });

  it('stopping reading (return) aborts the upstream call as well', async () => {
    const client = new ScriptedClient({ a: { ttft: 1, pieces: ['a', 'b'], gap: 50 } });
    const { start } = await (async () => {
      const started = streamPlan(
        plan([target('a')]),
        chat,
        { client, now: () => Date.now() },
        { promptTokens: 1 },
      );
      await vi.advanceTimersByTimeAsync(1);
      return { start: await started };
    })();
    if (!start.ok) throw new Error('expected a stream');
    const it = start.events[Symbol.asyncIterator]();
    await it.next();
    await it.return?.(undefined);
    expect(client.calls[0]?.signal.aborted).toBe(true);
    expect((await start.summary).ended).toBe('client-gone');
  });

  it('usage is counted from the text when the upstream reports none', async () => {
    const client = new ScriptedClient({ a: { ttft: 1, pieces: ['abcd', 'efgh', 'i'] } });
    const { events } = await drive(plan([target('a')]), client);
    // 9 ASCII characters: ceil(9 / 4) = 3 tokens; the prompt is the estimate given.
    expect(events.at(-1)).toEqual({ type: 'usage', usage: { prompt_tokens: 12, completion_tokens: 3 } });
  });
});

describe('streamPlan with an ensemble', () => {
  it('sends the combined answer as one chunk', async () => {
    const client: InferenceClient = {
      invoke: async (t) => ({
        body: { choices: [{ index: 0, message: { content: `from ${t.endpoint}` }, finish_reason: 'stop' }] },
        usage: { prompt_tokens: 3, completion_tokens: 2 },
      }),
    };
    const p = plan([target('a'), target('b')], {
      ensemble: { targets: [target('a'), target('b')], combine: 'first-success' },
    });
    const { events } = await drive(p, client);
    expect(events).toEqual([
      { type: 'chunk', chunk: { text: 'from a' } },
      { type: 'finish', index: 0, finish_reason: 'stop' },
      { type: 'usage', usage: { prompt_tokens: 3, completion_tokens: 2 } },
    ]);
  });
});

describe('resumeCall', () => {
  it('extends a completion prompt and leaves an array prompt alone', () => {
    const c: InferenceCall = { kind: 'completion', body: { model: 'm', prompt: 'Once ' } };
    expect(resumeCall(c, 'upon')).toEqual({ kind: 'completion', body: { model: 'm', prompt: 'Once upon' } });
    const many: InferenceCall = { kind: 'completion', body: { model: 'm', prompt: ['a', 'b'] } };
    expect(resumeCall(many, 'x')).toBe(many);
  });
});
