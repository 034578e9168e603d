// The prompt text of an upstream call, as the feature scan reads it (extract-features.ts): the
// messages' text parts in order (chat), the prompt strings (completion), the payload's strings
// (invocation, depth first, until the scan window is full), the text inputs (embeddings). Only
// references: nothing is copied here.
import type { ChatCompletionRequest, ContentPart } from '../chat.schema.ts';
import type { CompletionRequest } from '../completion.schema.ts';
import { promptTexts } from '../completion.schema.ts';
import type { InferenceCall } from '../ports.ts';
import type { PromptSource } from './extract-features.ts';
import { MAX_SCAN_CHARS } from './extract-features.ts';

/** The texts and turns of one call. */
export function promptOf(call: InferenceCall): PromptSource {
  switch (call.kind) {
    case 'chat': {
      const texts: string[] = [];
      // The call's body type drops the request's fields (its index signature); they are there.
      const messages = (call.body as Pick<ChatCompletionRequest, 'messages'>).messages;
      for (const m of messages) {
        const content = m.content;
        if (typeof content === 'string') texts.push(content);
        else if (Array.isArray(content)) {
          for (const part of content as readonly ContentPart[])
            if (part.type === 'text') texts.push(part.text);
        }
      }
      return { texts, turns: messages.length };
    }
    case 'completion':
      return { texts: promptTexts((call.body as Pick<CompletionRequest, 'prompt'>).prompt), turns: 1 };
    case 'embedding':
      return { texts: call.body.input.filter((x): x is string => typeof x === 'string'), turns: 1 };
    default:
      return { texts: payloadTexts(call.payload), turns: 1 };
  }
}

/** The strings of a JSON payload, depth first, until they fill the scan window. */
export function payloadTexts(payload: unknown): string[] {
  const out: string[] = [];
  let room = MAX_SCAN_CHARS;
  const stack: unknown[] = [payload];
  let visited = 0;
  while (stack.length > 0 && room > 0 && visited < 10_000) {
    const v = stack.pop();
    visited++;
    if (typeof v === 'string') {
      out.push(v);
      room -= v.length;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    } else if (typeof v === 'object' && v !== null) {
      const values = Object.values(v);
      for (let i = values.length - 1; i >= 0; i--) stack.push(values[i]);
    }
  }
  return out;
}
