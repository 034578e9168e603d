// OpenAI's exact streaming wire format for the events of a stream (stream-plan.ts): each event a
// `data: {json}\n\n` line; chat chunks are `chat.completion.chunk` objects (the first delta of a
// choice carries the assistant role), legacy completion chunks `text_completion` objects; with
// `stream_options.include_usage` every chunk has `"usage": null` and a last chunk with no choices
// carries the usage; the stream ends with `data: [DONE]`. A failure after the first chunk is an
// OpenAI error object as its own event, and no `[DONE]` follows it. Switchyard's one addition: a
// resumed stream's finish chunk says so in `x_switchyard`.
import type { StreamEvent } from './stream-plan.ts';

export interface SseContext {
  kind: 'chat' | 'completion';
  id: string;
  /** Epoch seconds. */
  created: number;
  model: string;
  includeUsage: boolean;
}

export const SSE_DONE_EVENT = 'data: [DONE]\n\n';

const line = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;

/** Formats a stream's events as SSE text, keeping what the format needs across events. */
export class OpenAiSseFormatter {
  readonly #ctx: SseContext;
  readonly #roleSent = new Set<number>();

  constructor(ctx: SseContext) {
    this.#ctx = ctx;
  }

  #envelope(choices: unknown[]): Record<string, unknown> {
    const { kind, id, created, model, includeUsage } = this.#ctx;
    return {
      id,
      object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
      created,
      model,
      choices,
      ...(includeUsage ? { usage: null } : {}),
    };
  }

  #choice(index: number, content: { text?: string; tool_calls?: unknown[] }, finish: string | null) {
    if (this.#ctx.kind === 'completion') {
      return { text: content.text ?? '', index, logprobs: null, finish_reason: finish };
    }
    const delta: Record<string, unknown> = {};
    if (content.text !== undefined) delta.content = content.text;
    if (content.tool_calls !== undefined) delta.tool_calls = content.tool_calls;
    return { index, delta, logprobs: null, finish_reason: finish };
  }

  /** The SSE text of one event (empty when it sends nothing, e.g. usage not asked for). */
  format(event: StreamEvent): string {
    let out = '';
    if (event.type === 'error') return line({ error: { ...event.error, param: null } });
    if (event.type === 'usage') {
      if (!this.#ctx.includeUsage) return '';
      const { prompt_tokens, completion_tokens } = event.usage;
      return line({
        ...this.#envelope([]),
        usage: { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens },
      });
    }
    const index = event.type === 'chunk' ? (event.chunk.index ?? 0) : event.index;
    if (this.#ctx.kind === 'chat' && !this.#roleSent.has(index)) {
      this.#roleSent.add(index);
      out += line(
        this.#envelope([
          { index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
        ]),
      );
    }
    if (event.type === 'chunk') {
      return out + line(this.#envelope([this.#choice(index, event.chunk, null)]));
    }
    const finish = this.#envelope([this.#choice(index, {}, event.finish_reason)]);
    if (event.resumed_by) finish.x_switchyard = { resumed: true, resumed_by: event.resumed_by };
    return out + line(finish);
  }

  /** The last event of a stream that did not fail. */
  done(): string {
    return SSE_DONE_EVENT;
  }
}

/**
 * An SSE comment with what the stream was charged (the `x-switchyard-cost-usd` header of a stream
 * is its reservation, sent before the body): `: x-switchyard-cost-usd 0.000036000`. SSE clients
 * (the openai SDKs among them) skip comment lines, so it changes nothing for them.
 */
export function sseCostComment(costUsd: string): string {
  return `: x-switchyard-cost-usd ${costUsd}\n\n`;
}
