// Streamed answers into the core's InferenceChunks: an SSE parser over raw bytes (`data:` lines,
// multi-line data, comments, CRLF, and bare JSON lines as some SageMaker containers send them),
// the mapping of each payload (OpenAI chat and completion chunks, TGI's token stream, a whole
// OpenAI answer, an error event), and the conversion of a non-streamed answer into chunks. Used
// by both inference clients, so both endpoint kinds stream the same way. (A whole answer's
// conversion into chunks is the core's `chunksOfResult`.)
import type { InferenceChunk, InferenceUsage } from '@switchyard/core';
import { UpstreamError } from '@switchyard/core';
import { parseJsonBody } from './upstream-failure.ts';

/** The payload of OpenAI's last event. */
export const SSE_DONE = '[DONE]';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The data of each server-sent event in `bytes`, in order, as soon as its blank line arrives
 * (nothing is buffered beyond the event being read). A line that is not an SSE field but starts
 * with `{` is one event of its own (JSON-lines streams). A last event without its blank line is
 * still delivered when the bytes end.
 */
export async function* sseData(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  const flush = function* (): Generator<string> {
    if (data.length > 0) yield data.join('\n');
    data = [];
  };
  for await (const piece of bytes) {
    buffer += decoder.decode(piece, { stream: true });
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line === '') yield* flush();
      else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      else if (line.startsWith('{')) {
        yield* flush();
        yield line;
      }
      // `event:`, `id:`, `retry:` and `:` comments carry nothing a chunk needs.
      nl = buffer.indexOf('\n');
    }
  }
  buffer += decoder.decode();
  const last = buffer.replace(/\r$/, '');
  if (last.startsWith('data:')) data.push(last.slice(last.startsWith('data: ') ? 6 : 5));
  else if (last.startsWith('{')) {
    yield* flush();
    yield last;
  }
  yield* flush();
}

function usageOf(v: unknown): InferenceUsage | undefined {
  if (!isRecord(v) || typeof v.prompt_tokens !== 'number') return undefined;
  return {
    prompt_tokens: v.prompt_tokens,
    completion_tokens: typeof v.completion_tokens === 'number' ? v.completion_tokens : 0,
  };
}

/** TGI's finish reasons in OpenAI's words. */
function tgiFinish(reason: unknown): string | undefined {
  if (typeof reason !== 'string') return undefined;
  return reason === 'length' ? 'length' : 'stop';
}

function withChoice(index: unknown, chunk: InferenceChunk): InferenceChunk {
  return typeof index === 'number' && index !== 0 ? { index, ...chunk } : chunk;
}

/**
 * The chunks one parsed payload holds: an OpenAI chat chunk (`choices[].delta`), completion chunk
 * (`choices[].text`) or whole answer (`choices[].message`), the usage chunk, or TGI's token stream
 * (`{token: {text, special}}`, the last event with `details.finish_reason`). An `{error}` payload
 * (an error event) is the upstream's failure; anything else is an invalid response.
 */
export function chunksOfPayload(payload: unknown, endpoint: string): InferenceChunk[] {
  if (!isRecord(payload)) {
    throw new UpstreamError('invalid-response', `${endpoint}: a stream event is not a JSON object`);
  }
  if (payload.error !== undefined && payload.error !== null) {
    const e = payload.error;
    const message = isRecord(e) && typeof e.message === 'string' ? e.message : String(e);
    throw new UpstreamError('server', `${endpoint}: the stream reported an error: ${message}`);
  }
  const out: InferenceChunk[] = [];
  if (Array.isArray(payload.choices)) {
    for (const choice of payload.choices) {
      if (!isRecord(choice)) continue;
      const chunk: InferenceChunk = {};
      const source = isRecord(choice.delta)
        ? choice.delta
        : isRecord(choice.message)
          ? choice.message
          : undefined;
      if (source) {
        if (typeof source.content === 'string' && source.content !== '') chunk.text = source.content;
        if (Array.isArray(source.tool_calls) && source.tool_calls.length > 0)
          chunk.tool_calls = source.tool_calls;
      } else if (typeof choice.text === 'string' && choice.text !== '') chunk.text = choice.text;
      if (typeof choice.finish_reason === 'string') chunk.finish_reason = choice.finish_reason;
      if (Object.keys(chunk).length > 0) out.push(withChoice(choice.index, chunk));
    }
    const usage = usageOf(payload.usage);
    if (usage) out.push({ usage });
    return out;
  }
  if (isRecord(payload.token)) {
    const token = payload.token;
    const chunk: InferenceChunk = {};
    if (token.special !== true && typeof token.text === 'string' && token.text !== '')
      chunk.text = token.text;
    const finish = isRecord(payload.details) ? tgiFinish(payload.details.finish_reason) : undefined;
    if (finish) chunk.finish_reason = finish;
    return Object.keys(chunk).length > 0 ? [chunk] : [];
  }
  const usage = usageOf(payload.usage);
  if (usage) return [{ usage }];
  throw new UpstreamError(
    'invalid-response',
    `${endpoint}: a stream event is neither an OpenAI chunk nor a TGI token`,
  );
}

/**
 * The chunks of a streamed answer: each SSE event parsed (nested no deeper than any answer may
 * be) and mapped, until OpenAI's `[DONE]`. A stream that ends before it said it was done (no
 * `[DONE]` and no finish reason) was cut: a `connection` failure.
 */
export async function* upstreamChunks(
  bytes: AsyncIterable<Uint8Array>,
  endpoint: string,
): AsyncGenerator<InferenceChunk> {
  let finished = false;
  for await (const data of sseData(bytes)) {
    if (data.trim() === SSE_DONE) return;
    const payload = parseJsonBody(data, endpoint);
    for (const chunk of chunksOfPayload(payload, endpoint)) {
      if (chunk.finish_reason !== undefined) finished = true;
      yield chunk;
    }
  }
  if (!finished) {
    throw new UpstreamError('connection', `${endpoint}: the stream ended before the answer finished`);
  }
}

/**
 * Yields an upstream's chunks, a failure while reading them mapped by `failure` (the endpoint
 * kind's own mapping of transport and upstream errors).
 */
export async function* mappedChunks(
  chunks: AsyncGenerator<InferenceChunk>,
  failure: (err: unknown) => unknown,
): AsyncGenerator<InferenceChunk> {
  for (;;) {
    let next: IteratorResult<InferenceChunk>;
    try {
      next = await chunks.next();
    } catch (err) {
      throw failure(err);
    }
    if (next.done) return;
    yield next.value;
  }
}
