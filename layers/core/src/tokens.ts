// Prompt-size estimate for routing (context window, cost): ~4 characters per token, plus a
// small per-message overhead, without a tokenizer.
import type { ChatMessage } from './api.schema.ts';

export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  let chars = 0;
  for (const m of messages) {
    if (typeof m.content === 'string') chars += m.content.length;
    else if (Array.isArray(m.content)) {
      for (const part of m.content) {
        const text = (part as { text?: unknown }).text;
        if (typeof text === 'string') chars += text.length;
      }
    }
  }
  return Math.ceil(chars / 4) + 4 * messages.length;
}
