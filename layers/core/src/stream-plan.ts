// Executes a plan for a streaming request (a port, no AWS here), in two phases:
// - before the first chunk, a stream is like any request: runPlan (execute-plan.ts) runs the plan
//   with every attempt being "open the stream and wait for its first chunk", so fallbacks,
//   same-target retries, hedging, timeouts (the attempt timeout bounds the time to first token)
//   and the deadline apply unchanged, and the client sees none of the failed attempts. Streams
//   that got their first chunk but lost (a hedge) are closed;
// - after the first chunk, the chunks are passed on as they come. When the upstream fails (cut,
//   error event, silence longer than the attempt timeout), the attempt is recorded as that failure
//   (it counts against the endpoint) and the stream ends with an error event, never a silent
//   success; or, with `resume`, the stream goes on from the next untried fallback, sent the text
//   so far as an assistant prefix (chat) or appended to the prompt (completions), so the client
//   reads one continuous answer, and the finish event says who resumed it.
// Ensembles do not stream: their combined answer (runPlan) is sent as one chunk. A client that
// goes away (options.signal) aborts the upstream call. Each attempt records its time to first
// token, mean gap between chunks and chunk count. Usage is the upstream's usage chunk, or counted.
// Timers are the global setTimeout (fake timers drive them in tests); the clock is a dep.
import type { AttemptRecord } from './errors.ts';
import { ClientGoneError, SwitchyardError, UpstreamError } from './errors.ts';
import type { EnsembleOutcome, ExecuteDeps } from './execute-plan.ts';
import { runPlan } from './execute-plan.ts';
import type { InferenceCall, InferenceChunk, InferenceClient, InferenceUsage } from './ports.ts';
import type { Plan, PlanTarget } from './route.types.ts';
import { chunksOfResult, convertedStream } from './stream-convert.ts';
import { estimateTextTokens } from './tokens.ts';

export interface StreamOptions {
  /** Resume a stream cut after its first chunk on the next untried fallback. @default false */
  resume?: boolean;
  /** Aborted when the client goes away: the upstream call is aborted with it. */
  signal?: AbortSignal;
  /** The request's estimated prompt tokens (usage when the upstream reports none). */
  promptTokens: number;
}

/** What the stream sends, in order, before the SSE formatting (sse-format.ts). */
export type StreamEvent =
  | { type: 'chunk'; chunk: InferenceChunk }
  /** The end of a choice (withheld until the stream ends, so it can say who resumed it). */
  | { type: 'finish'; index: number; finish_reason: string; resumed_by?: ResumeRecord[] }
  | { type: 'usage'; usage: InferenceUsage }
  /** The stream failed after its first chunk and is not resumed: an error event, then nothing. */
  | { type: 'error'; error: { message: string; type: string; code: string } };

export interface ResumeRecord {
  endpoint: string;
  model: string;
  version: string;
  /** Characters of the answer before the resuming endpoint took over. */
  after_chars: number;
}

export interface StreamSummary {
  /** How the stream ended: finished, failed after its first chunk, or the client went away. */
  ended: 'completed' | 'failed' | 'client-gone';
  usage: InferenceUsage;
  /** Whether `usage` is the upstream's report or counted from the text. */
  usage_source: 'upstream' | 'counted';
  /** The endpoint that sent the last chunk. */
  target: PlanTarget;
  /** Every attempt in start order, the resuming ones included. */
  attempts: AttemptRecord[];
  resumed_by: ResumeRecord[];
}

export type StreamStart =
  | {
      ok: true;
      /** The endpoint whose first chunk arrived first. */
      target: PlanTarget;
      /** The attempts until the first chunk (the winner's `duration_ms` is its time to first token). */
      attempts: readonly AttemptRecord[];
      ensemble?: EnsembleOutcome;
      /** The stream's events; stop reading (return()) to abort the upstream call. */
      events: AsyncIterable<StreamEvent>;
      /** Settles once the events end (read to the end, failed, or no longer read). */
      summary: Promise<StreamSummary>;
    }
  | { ok: false; error: unknown; attempts: readonly AttemptRecord[] };

/** An open upstream stream whose first chunk arrived. */
interface OpenStream {
  target: PlanTarget;
  iterator: AsyncIterator<InferenceChunk>;
  first: InferenceChunk;
  controller: AbortController;
  openedAt: number;
  firstAt: number;
}

const STREAM_HANDLE = Symbol('stream');

/** The stream of `client`, or its invoke answer converted. */
function streamOf(client: InferenceClient, target: PlanTarget, call: InferenceCall, signal: AbortSignal) {
  return client.stream ? client.stream(target, call, signal) : convertedStream(client, target, call, signal);
}

function close(open: OpenStream): void {
  open.controller.abort(new Error('stream closed'));
  void Promise.resolve(open.iterator.return?.(undefined)).catch(() => undefined);
}

/**
 * Phase one: the plan run with attempts that succeed at their first chunk. Resolves with the open
 * stream of the winner; every other stream opened on the way is closed.
 */
async function openFirst(
  plan: Plan,
  call: InferenceCall,
  deps: ExecuteDeps,
  gone: AbortSignal | undefined,
): Promise<
  | { ok: true; open: OpenStream; attempts: AttemptRecord[]; ensemble?: EnsembleOutcome }
  | { ok: false; error: unknown; attempts: readonly AttemptRecord[] }
> {
  const opened = new Set<OpenStream>();
  const firstChunk: InferenceClient = {
    invoke: async (target, c, signal) => {
      if (gone?.aborted) throw new ClientGoneError();
      const controller = new AbortController();
      const relay = () => controller.abort(signal.reason);
      const leave = () => controller.abort(new ClientGoneError());
      signal.addEventListener('abort', relay, { once: true });
      gone?.addEventListener('abort', leave, { once: true });
      const openedAt = deps.now();
      const iterator = streamOf(deps.client, target, c, controller.signal)[Symbol.asyncIterator]();
      let next: IteratorResult<InferenceChunk>;
      try {
        next = await iterator.next();
      } catch (err) {
        if (gone?.aborted) throw new ClientGoneError();
        throw err;
      } finally {
        signal.removeEventListener('abort', relay);
        gone?.removeEventListener('abort', leave);
      }
      if (next.done) {
        throw new UpstreamError('invalid-response', `${target.endpoint}: the stream ended without a chunk`);
      }
      const open: OpenStream = {
        target,
        iterator,
        first: next.value,
        controller,
        openedAt,
        firstAt: deps.now(),
      };
      opened.add(open);
      // Aborted while the first chunk was on its way (a hedge loser, a timeout): close it now.
      if (signal.aborted) close(open);
      return { body: { [STREAM_HANDLE]: open } };
    },
  };
  const outcome = await runPlan(plan, call, { ...deps, client: firstChunk });
  const winner = outcome.ok
    ? (outcome.result.body as { [STREAM_HANDLE]?: OpenStream })[STREAM_HANDLE]
    : undefined;
  for (const o of opened) if (o !== winner) close(o);
  if (!outcome.ok) return outcome;
  if (!winner) throw new Error('stream plan: the winning attempt holds no stream');
  return {
    ok: true,
    open: winner,
    attempts: outcome.attempts,
    ...(outcome.ensemble ? { ensemble: outcome.ensemble } : {}),
  };
}

/** The call that continues an answer from `prefix`: an assistant prefix (chat) or the prompt extended. */
export function resumeCall(call: InferenceCall, prefix: string): InferenceCall {
  if (call.kind === 'chat') {
    return {
      kind: 'chat',
      body: {
        ...call.body,
        messages: [...(call.body.messages as readonly unknown[]), { role: 'assistant', content: prefix }],
        // vLLM's way to continue the last message instead of starting a new one.
        continue_final_message: true,
        add_generation_prompt: false,
      },
    };
  }
  if (call.kind === 'completion' && typeof call.body.prompt === 'string') {
    return { kind: 'completion', body: { ...call.body, prompt: `${call.body.prompt}${prefix}` } };
  }
  return call;
}

/** Whether a cut stream of `call` can be resumed: chat, or a completion of one text prompt. */
const resumable = (call: InferenceCall): boolean =>
  call.kind === 'chat' || (call.kind === 'completion' && typeof call.body.prompt === 'string');

/** Runs a plan for a streaming request (see the module header); never throws. */
export async function streamPlan(
  plan: Plan,
  call: InferenceCall,
  deps: ExecuteDeps,
  options: StreamOptions,
): Promise<StreamStart> {
  const gone = options.signal;
  if (plan.ensemble) return ensembleStream(plan, call, deps, options);
  const first = await openFirst(plan, call, deps, gone);
  if (!first.ok) return first;
  const attempts = [...first.attempts];
  let resolveSummary: (s: StreamSummary) => void = () => {};
  const summary = new Promise<StreamSummary>((resolve) => {
    resolveSummary = resolve;
  });

  async function* events(): AsyncGenerator<StreamEvent> {
    let open = (first as { open: OpenStream }).open;
    let record = recordOf(attempts, open.target);
    let chunk: InferenceChunk | undefined = open.first;
    let chunks = 0;
    let lastAt = open.firstAt;
    let gaps = 0;
    const texts = new Map<number, string>();
    const finishes = new Map<number, string>();
    const resumed: ResumeRecord[] = [];
    let upstreamUsage: InferenceUsage | undefined;
    let ended: StreamSummary['ended'] = 'client-gone';
    // A client that leaves while a chunk is awaited: abort the read now, not at the next chunk.
    const leave = () => close(open);
    gone?.addEventListener('abort', leave, { once: true });
    const finishRecord = (outcome: AttemptRecord['outcome'], error?: string): void => {
      if (!record) return;
      record.outcome = outcome;
      record.duration_ms = deps.now() - open.openedAt;
      record.ttft_ms = open.firstAt - open.openedAt;
      record.chunks = chunks;
      if (chunks > 1) record.inter_token_ms = Math.round((gaps / (chunks - 1)) * 100) / 100;
      if (error !== undefined) record.error = error;
    };
    try {
      for (;;) {
        if (chunk) {
          chunks++;
          const index = chunk.index ?? 0;
          if (chunk.usage) upstreamUsage = chunk.usage;
          if (chunk.finish_reason !== undefined) finishes.set(index, chunk.finish_reason);
          const { usage: _u, finish_reason: _f, ...content } = chunk;
          if (content.text !== undefined) texts.set(index, (texts.get(index) ?? '') + content.text);
          if (content.text !== undefined || content.tool_calls !== undefined)
            yield { type: 'chunk', chunk: content };
        }
        let next: IteratorResult<InferenceChunk>;
        try {
          next = await nextWithin(open, open.target.timeout_ms);
        } catch (err) {
          if (gone?.aborted) return;
          const failure = err instanceof UpstreamError ? err : undefined;
          const what = failure ? failure.message : 'internal error while reading the stream';
          finishRecord(failure ? failure.failure : 'not-sent', `stream cut after ${chunks} chunks: ${what}`);
          const prefix = texts.get(0) ?? '';
          const rest =
            options.resume && failure && resumable(call) && texts.size <= 1 ? untried(plan, attempts) : [];
          const resumedBy =
            rest.length > 0
              ? await openFirst(restPlan(plan, rest), resumeCall(call, prefix), deps, gone)
              : undefined;
          if (resumedBy) attempts.push(...resumedBy.attempts);
          if (!resumedBy?.ok) {
            if (gone?.aborted) return;
            ended = 'failed';
            yield { type: 'error', error: streamError(open.target, chunks, failure) };
            return;
          }
          open = resumedBy.open;
          record = recordOf(attempts, open.target);
          resumed.push({ ...ids(open.target), after_chars: prefix.length });
          chunks = 0;
          gaps = 0;
          lastAt = open.firstAt;
          upstreamUsage = undefined;
          finishes.clear();
          chunk = open.first;
          continue;
        }
        if (next.done) break;
        const at = deps.now();
        gaps += at - lastAt;
        lastAt = at;
        chunk = next.value;
      }
      finishRecord('success');
      ended = 'completed';
      for (const index of texts.size > 0
        ? [...new Set([...texts.keys(), ...finishes.keys()])].sort((a, b) => a - b)
        : [0]) {
        yield {
          type: 'finish',
          index,
          finish_reason: finishes.get(index) ?? 'stop',
          ...(resumed.length > 0 ? { resumed_by: resumed } : {}),
        };
      }
      yield { type: 'usage', usage: usageOf() };
    } finally {
      gone?.removeEventListener('abort', leave);
      if (ended === 'client-gone') {
        close(open);
        finishRecord('aborted', 'the client closed the connection');
      }
      const usage = usageOf();
      resolveSummary({
        ended,
        usage,
        usage_source: upstreamUsage && resumed.length === 0 ? 'upstream' : 'counted',
        target: open.target,
        attempts,
        resumed_by: resumed,
      });
    }

    function usageOf(): InferenceUsage {
      const counted = [...texts.values()].reduce((n, t) => n + estimateTextTokens(t), 0);
      if (upstreamUsage && resumed.length === 0) return upstreamUsage;
      if (upstreamUsage) {
        // Resumed: the prefix the last endpoint was sent is not the caller's prompt.
        const before = estimateTextTokens((texts.get(0) ?? '').slice(0, resumed.at(-1)?.after_chars ?? 0));
        return {
          prompt_tokens: options.promptTokens,
          completion_tokens: before + upstreamUsage.completion_tokens,
        };
      }
      return { prompt_tokens: options.promptTokens, completion_tokens: counted };
    }
  }

  return { ok: true, target: first.open.target, attempts: first.attempts, events: events(), summary };
}

/** An ensemble's combined answer as a one-chunk stream. */
async function ensembleStream(
  plan: Plan,
  call: InferenceCall,
  deps: ExecuteDeps,
  options: StreamOptions,
): Promise<StreamStart> {
  const outcome = await runPlan(plan, call, deps);
  if (!outcome.ok) return outcome;
  const chunks = chunksOfResult(outcome.result, call);
  const usage = outcome.result.usage;
  const text = chunks.reduce((s, c) => s + (c.text ?? ''), '');
  const summaryValue: StreamSummary = {
    ended: 'completed',
    usage: usage ?? { prompt_tokens: options.promptTokens, completion_tokens: estimateTextTokens(text) },
    usage_source: usage ? 'upstream' : 'counted',
    target: outcome.target,
    attempts: outcome.attempts,
    resumed_by: [],
  };
  async function* events(): AsyncGenerator<StreamEvent> {
    for (const c of chunks) {
      const { usage: _u, finish_reason, ...content } = c;
      if (content.text !== undefined || content.tool_calls !== undefined)
        yield { type: 'chunk', chunk: content };
      if (finish_reason !== undefined) yield { type: 'finish', index: c.index ?? 0, finish_reason };
    }
    yield { type: 'usage', usage: summaryValue.usage };
  }
  return {
    ok: true,
    target: outcome.target,
    attempts: outcome.attempts,
    ...(outcome.ensemble ? { ensemble: outcome.ensemble } : {}),
    events: events(),
    summary: Promise.resolve(summaryValue),
  };
}

/** The next chunk, or a `timeout` failure (the stream aborted) after `idleMs` without one. */
async function nextWithin(open: OpenStream, idleMs: number): Promise<IteratorResult<InferenceChunk>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new UpstreamError('timeout', `${open.target.endpoint}: no chunk for ${idleMs} ms`);
      open.controller.abort(error);
      reject(error);
    }, idleMs);
  });
  try {
    return await Promise.race([open.iterator.next(), idle]);
  } catch (err) {
    if (open.controller.signal.reason instanceof UpstreamError) throw open.controller.signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** The plan's targets in order that no attempt has tried yet. */
function untried(plan: Plan, attempts: readonly AttemptRecord[]): PlanTarget[] {
  const tried = new Set(attempts.filter((a) => a.outcome !== 'skipped-deadline').map((a) => a.endpoint));
  const seen = new Set<string>();
  const out: PlanTarget[] = [];
  for (const t of [plan.primary, ...plan.fallbacks]) {
    if (tried.has(t.endpoint) || seen.has(t.endpoint)) continue;
    seen.add(t.endpoint);
    out.push(t);
  }
  return out;
}

/** The plan that resumes on `rest`: no hedge (the first chunk is all that is awaited). */
function restPlan(plan: Plan, rest: PlanTarget[]): Plan {
  const { hedge: _h, ensemble: _e, ...base } = plan;
  return { ...base, primary: rest[0] as PlanTarget, fallbacks: rest.slice(1) };
}

/** The winner's attempt record: the last successful attempt on its endpoint. */
function recordOf(attempts: readonly AttemptRecord[], target: PlanTarget): AttemptRecord | undefined {
  for (let i = attempts.length - 1; i >= 0; i--) {
    const a = attempts[i] as AttemptRecord;
    if (a.endpoint === target.endpoint && a.outcome === 'success') return a;
  }
  return undefined;
}

function streamError(_target: PlanTarget, chunks: number, failure: UpstreamError | undefined) {
  const why = failure ? failure.failure : 'internal error';
  return {
    message: `The upstream stream failed after ${chunks} chunks (${why}); the answer is incomplete.`,
    type: failure instanceof SwitchyardError ? 'upstream_error' : 'server_error',
    code: 'stream_interrupted',
  };
}

const ids = (t: PlanTarget) => ({ endpoint: t.endpoint, model: t.model, version: t.version });
