// Prompt-size estimates for routing (context window, cost) without a tokenizer. They err on the
// large side, because an estimate is used to keep requests inside context windows and budgets:
// ~4 ASCII characters per token, one token per other UTF-16 unit (CJK, emoji), a per-message
// overhead, a fixed price per image part, and JSON size / 4 for tool calls and task payloads.
import type { ChatMessage, ContentPart } from './chat.schema.ts';
import { jsonLength } from './json-limits.ts';

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
    if ('name' in m && typeof m.name === 'string') tokens += estimateTextTokens(m.name);
    const content = m.content;
    if (typeof content === 'string') tokens += estimateTextTokens(content);
    else if (Array.isArray(content)) {
      for (const part of content as readonly ContentPart[]) {
        if (part.type === 'text') tokens += estimateTextTokens(part.text);
        else if (part.type === 'refusal') tokens += estimateTextTokens(part.refusal);
        else if (part.type === 'image_url') tokens += IMAGE_PART_TOKENS;
        else tokens += estimatePayloadTokens(part);
      }
    }
    if ('tool_calls' in m && m.tool_calls !== undefined) tokens += estimatePayloadTokens(m.tool_calls);
  }
  return tokens;
}

/**
 * Estimated tokens of a task invocation's JSON payload: its JSON size / 4 (a string counts as
 * text). The size is measured without serialising, so a large payload allocates nothing.
 */
export function estimatePayloadTokens(payload: unknown): number {
  if (typeof payload === 'string') return estimateTextTokens(payload);
  return Math.ceil(jsonLength(payload) / 4);
}
