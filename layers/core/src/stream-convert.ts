// A whole answer as a stream: the chunks a stream of an invoke result would have had, and the
// stream of a client that cannot stream (its `invoke`, converted). So a streaming request is
// served by any endpoint, and an answer that did not stream (an ensemble's) goes out the same way.
import type { InferenceCall, InferenceChunk, InferenceClient, InferenceResult } from './ports.ts';
import type { PlanTarget } from './route.types.ts';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function withChoice(index: unknown, chunk: InferenceChunk): InferenceChunk {
  return typeof index === 'number' && index !== 0 ? { index, ...chunk } : chunk;
}

/** A whole answer (an invoke result) as the chunks a stream of it would have had. */
export function chunksOfResult(result: InferenceResult, call: InferenceCall): InferenceChunk[] {
  const body = result.body;
  const out: InferenceChunk[] = [];
  if (call.kind !== 'invocation' && isRecord(body) && Array.isArray(body.choices)) {
    for (const choice of body.choices) {
      if (!isRecord(choice)) continue;
      const chunk: InferenceChunk = {};
      const message = isRecord(choice.message) ? choice.message : undefined;
      const text = message ? message.content : choice.text;
      if (typeof text === 'string' && text !== '') chunk.text = text;
      if (message && Array.isArray(message.tool_calls) && message.tool_calls.length > 0) {
        chunk.tool_calls = message.tool_calls.map((c, i) => (isRecord(c) ? { index: i, ...c } : c));
      }
      chunk.finish_reason = typeof choice.finish_reason === 'string' ? choice.finish_reason : 'stop';
      out.push(withChoice(choice.index, chunk));
    }
  } else {
    // Not an LLM answer: its JSON is the one piece of text.
    out.push({ text: typeof body === 'string' ? body : JSON.stringify(body), finish_reason: 'stop' });
  }
  if (result.usage) out.push({ usage: result.usage });
  return out;
}

/** `client.invoke`'s answer as a stream (one chunk per choice, then the usage). */
export async function* convertedStream(
  client: Pick<InferenceClient, 'invoke'>,
  target: PlanTarget,
  call: InferenceCall,
  signal: AbortSignal,
): AsyncGenerator<InferenceChunk> {
  yield* chunksOfResult(await client.invoke(target, call, signal), call);
}
