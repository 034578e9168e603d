// Router step "execute, streamed": runs the decision's plan with core.streamPlan (fallbacks,
// retries and hedging before the first chunk; an error event or a resume after it) and turns the
// stream's events into the SSE body in OpenAI's format. The body is an async iterable that the
// handler hands to Lambda response streaming; a client that goes away (the body destroyed, so
// its iterator returned) aborts the upstream call at once, not at the next chunk. The attempts
// are recorded once the stream has ended, whatever ended it; what it was charged ends the body as
// an SSE comment (`: x-switchyard-cost-usd ...`, which SSE clients skip). No AWS here.
import { randomUUID } from 'node:crypto';
import type {
  AttemptRecord,
  ExecuteDeps,
  InferenceCall,
  Plan,
  StreamEvent,
  StreamStart,
  StreamSummary,
} from '@switchyard/core';
import { OpenAiSseFormatter, sseCostComment, streamPlan } from '@switchyard/core';

export interface StreamStepDeps extends ExecuteDeps {
  /** Records the attempts of the stream once it has ended (they reached upstreams). */
  recordAttempts: (attempts: readonly AttemptRecord[]) => Promise<void>;
  /**
   * Fires once the stream has ended, with what it produced (usage, attempts; metering hooks here).
   * What it answers (the charged cost as `x-switchyard-cost-usd` formats it) ends the body as an
   * SSE comment, before `[DONE]`.
   */
  onEnd?: (summary: StreamSummary) => Promise<string | undefined> | string | undefined;
}

export interface StreamRequest {
  kind: 'chat' | 'completion';
  call: InferenceCall;
  /** `stream_options.include_usage`. */
  includeUsage: boolean;
  /** The request's estimated prompt tokens (usage when the upstream counts none). */
  promptTokens: number;
  /** Rewrites the events before they are formatted (the privacy step's restore). */
  transform?: (events: AsyncIterable<StreamEvent>) => AsyncIterable<StreamEvent>;
}

export type OpenedStream =
  | { ok: true; start: Extract<StreamStart, { ok: true }>; body: AsyncIterable<string> }
  | { ok: false; error: unknown; attempts: readonly AttemptRecord[] };

/**
 * Opens the stream: resolves once the first chunk is there (the headers can go out) or the plan
 * failed before one (the caller answers with the error; its attempts are recorded here).
 */
export async function openStream(
  plan: Plan,
  request: StreamRequest,
  deps: StreamStepDeps,
): Promise<OpenedStream> {
  const created = Math.floor(deps.now() / 1000);
  const gone = new AbortController();
  const start = await streamPlan(plan, request.call, deps, {
    resume: plan.stream_resume === true,
    signal: gone.signal,
    promptTokens: request.promptTokens,
  });
  if (!start.ok) {
    await deps.recordAttempts(start.attempts);
    return start;
  }
  const formatter = new OpenAiSseFormatter({
    kind: request.kind,
    includeUsage: request.includeUsage,
    id: `${request.kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`,
    created,
    // The registry's model id, as buffered answers say it (a resume keeps the first one's).
    model: start.target.model,
  });
  const events = request.transform ? request.transform(start.events) : start.events;
  return { ok: true, start, body: sseBody(start, events, formatter, gone, deps) };
}

/** The SSE text of the stream's events, `[DONE]` after a stream that did not fail. */
function sseBody(
  start: Extract<StreamStart, { ok: true }>,
  source: AsyncIterable<StreamEvent>,
  formatter: OpenAiSseFormatter,
  gone: AbortController,
  deps: StreamStepDeps,
): AsyncIterable<string> {
  const events = source[Symbol.asyncIterator]();
  let failed = false;
  let finished = false;
  const finish = async (): Promise<string> => {
    if (finished) return '';
    finished = true;
    const summary = await start.summary;
    await deps.recordAttempts(summary.attempts);
    const cost = await deps.onEnd?.(summary);
    return cost === undefined ? '' : sseCostComment(cost);
  };
  const iterator: AsyncIterator<string> = {
    async next(): Promise<IteratorResult<string>> {
      for (;;) {
        if (finished) return { value: undefined, done: true };
        const e = await events.next();
        if (e.done) {
          const trailer = await finish();
          const last = trailer + (failed ? '' : formatter.done());
          return last === '' ? { value: undefined, done: true } : { value: last, done: false };
        }
        if (e.value.type === 'error') failed = true;
        const text = formatter.format(e.value);
        if (text !== '') return { value: text, done: false };
      }
    },
    async return(): Promise<IteratorResult<string>> {
      // The client went away: abort the upstream now (the events may be waiting for a chunk).
      gone.abort();
      await events.return?.(undefined);
      await finish();
      return { value: undefined, done: true };
    },
  };
  return { [Symbol.asyncIterator]: () => iterator };
}
