// Prompt-size estimates for routing (context window, cost) without a tokenizer. They err on the
// large side, because an estimate is used to keep requests inside context windows and budgets:
// ~4 ASCII characters per token, one token per other UTF-16 unit (CJK, emoji), a per-message
// overhead, a fixed price per image part, and JSON size / 4 for tool calls and task payloads.
import type { ChatMessage } from './api.schema.ts';

/** Tokens charged per message for role and separators (OpenAI's chat format uses 3-4). */
export const MESSAGE_OVERHEAD_TOKENS = 4;
/** Tokens that prime the assistant's reply. */
export const REPLY_PRIMING_TOKENS = 3;
/** Tokens per image part: a 1024x1024 high-detail image in OpenAI's accounting. */
export const IMAGE_PART_TOKENS = 765;

/** Estimated tokens of a text: ASCII at 4 characters per token, any other unit as one token. */
export function estimateTextTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) < 128) ascii++;
    else other++;
  }
  return Math.ceil(ascii / 4) + other;
}

/** Estimated prompt tokens of a chat request's messages. */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  let tokens = REPLY_PRIMING_TOKENS;
  for (const m of messages) {
    tokens += MESSAGE_OVERHEAD_TOKENS;
    if (typeof m.name === 'string') tokens += estimateTextTokens(m.name);
    if (typeof m.content === 'string') tokens += estimateTextTokens(m.content);
    else if (Array.isArray(m.content)) {
      for (const part of m.content) {
        const text = (part as { text?: unknown }).text;
        if (typeof text === 'string') tokens += estimateTextTokens(text);
        else if (part.type === 'image_url' || part.type === 'input_image') tokens += IMAGE_PART_TOKENS;
        else tokens += estimatePayloadTokens(part);
      }
    }
    if (m.tool_calls !== undefined) tokens += estimatePayloadTokens(m.tool_calls);
  }
  return tokens;
}

/** Estimated tokens of a task invocation's JSON payload: its JSON size / 4 (a string counts as text). */
export function estimatePayloadTokens(payload: unknown): number {
  if (payload === undefined) return 0;
  if (typeof payload === 'string') return estimateTextTokens(payload);
  const json = JSON.stringify(payload) as string | undefined;
  return json === undefined ? 0 : Math.ceil(json.length / 4);
}
