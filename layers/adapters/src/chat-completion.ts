// Normalises what a chat-capable endpoint answers into an OpenAI `chat.completion`: passes
// OpenAI-shaped answers through (filling missing envelope fields) and wraps TGI-style
// `[{generated_text}]` answers. Anything else is an `invalid-response`, and so is an answer
// with another number of choices than the request's `n > 1` asked for.
import { randomUUID } from 'node:crypto';
import type { ChatCompletionResponse, InferenceCall, InferenceResult, PlanTarget } from '@switchyard/core';
import { UpstreamError } from '@switchyard/core';

export interface ChatNormaliseContext {
  endpoint: string;
  /** Choices the request asked for (`n`); an answer with another number is unusable. @default 1 */
  choices?: number;
  /** The model name to report when the upstream does not say. */
  model: string;
  now: () => number;
  newId: () => string;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{prompt_tokens, completion_tokens}` from an OpenAI `usage` object, if it has them. */
export function usageOf(body: unknown): InferenceResult['usage'] {
  if (!isRecord(body) || !isRecord(body.usage)) return undefined;
  const { prompt_tokens, completion_tokens } = body.usage;
  if (typeof prompt_tokens !== 'number') return undefined;
  return {
    prompt_tokens,
    completion_tokens: typeof completion_tokens === 'number' ? completion_tokens : 0,
  };
}

export function toChatCompletion(body: unknown, ctx: ChatNormaliseContext): InferenceResult {
  if (isRecord(body) && Array.isArray(body.choices)) {
    const choicesOk = body.choices.every((c) => isRecord(c) && isRecord(c.message));
    if (!choicesOk || body.choices.length === 0) {
      throw new UpstreamError('invalid-response', `${ctx.endpoint}: chat answer has no message choices`);
    }
    const asked = ctx.choices ?? 1;
    if (asked > 1 && body.choices.length !== asked) {
      // An upstream that ignored `n` (or lost choices): another endpoint may do better.
      throw new UpstreamError(
        'invalid-response',
        `${ctx.endpoint}: asked for n = ${asked} choices, the answer has ${body.choices.length}`,
      );
    }
    const completion = {
      ...body,
      id: typeof body.id === 'string' ? body.id : ctx.newId(),
      object: 'chat.completion',
      created: typeof body.created === 'number' ? body.created : Math.floor(ctx.now() / 1000),
      model: typeof body.model === 'string' ? body.model : ctx.model,
    } as ChatCompletionResponse;
    const usage = usageOf(body);
    return usage ? { body: completion, usage } : { body: completion };
  }
  const tgi = Array.isArray(body) ? body[0] : body;
  if (isRecord(tgi) && typeof tgi.generated_text === 'string') {
    if ((ctx.choices ?? 1) > 1) {
      throw new UpstreamError(
        'invalid-response',
        `${ctx.endpoint}: asked for n = ${ctx.choices} choices, the answer is one TGI generated_text`,
      );
    }
    const details = isRecord(tgi.details) ? tgi.details : undefined;
    const completion: ChatCompletionResponse = {
      id: ctx.newId(),
      object: 'chat.completion',
      created: Math.floor(ctx.now() / 1000),
      model: ctx.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: tgi.generated_text },
          finish_reason: typeof details?.finish_reason === 'string' ? details.finish_reason : 'stop',
        },
      ],
    };
    // TGI does not report prompt tokens: leave usage out and let the caller estimate it.
    return { body: completion };
  }
  throw new UpstreamError(
    'invalid-response',
    `${ctx.endpoint}: the answer is neither an OpenAI chat completion nor TGI generated_text`,
  );
}

/**
 * Normalises a legacy completion answer into an OpenAI `text_completion`: OpenAI-shaped answers
 * (`choices[].text`) pass through with missing envelope fields filled; TGI's `[{generated_text}]`
 * is wrapped. Anything else is an `invalid-response`.
 */
export function toTextCompletion(body: unknown, ctx: ChatNormaliseContext): InferenceResult {
  if (isRecord(body) && Array.isArray(body.choices)) {
    const ok =
      body.choices.length > 0 && body.choices.every((c) => isRecord(c) && typeof c.text === 'string');
    if (!ok)
      throw new UpstreamError('invalid-response', `${ctx.endpoint}: completion answer has no text choices`);
    const completion = {
      ...body,
      id: typeof body.id === 'string' ? body.id : ctx.newId(),
      object: 'text_completion',
      created: typeof body.created === 'number' ? body.created : Math.floor(ctx.now() / 1000),
      model: typeof body.model === 'string' ? body.model : ctx.model,
    };
    const usage = usageOf(body);
    return usage ? { body: completion, usage } : { body: completion };
  }
  const tgi = Array.isArray(body) ? body[0] : body;
  if (isRecord(tgi) && typeof tgi.generated_text === 'string') {
    const details = isRecord(tgi.details) ? tgi.details : undefined;
    return {
      body: {
        id: ctx.newId(),
        object: 'text_completion',
        created: Math.floor(ctx.now() / 1000),
        model: ctx.model,
        choices: [
          {
            index: 0,
            text: tgi.generated_text,
            logprobs: null,
            finish_reason: details?.finish_reason === 'length' ? 'length' : 'stop',
          },
        ],
      },
    };
  }
  throw new UpstreamError(
    'invalid-response',
    `${ctx.endpoint}: the answer is neither an OpenAI text completion nor TGI generated_text`,
  );
}

/**
 * An inference client's result from the parsed answer: a chat call's as a `chat.completion` (new
 * ids `chatcmpl-<uuid>`), a completion call's as a `text_completion` (`cmpl-<uuid>`), any other
 * call's body as it is, with its usage when it reports one.
 */
export function inferenceResult(
  body: unknown,
  target: PlanTarget,
  call: InferenceCall,
  now: () => number,
): InferenceResult {
  if (call.kind === 'chat') {
    const n = call.body.n;
    return toChatCompletion(body, {
      endpoint: target.endpoint,
      ...(typeof n === 'number' && n > 1 ? { choices: n } : {}),
      model: target.upstream_model,
      now,
      newId: () => `chatcmpl-${randomUUID()}`,
    });
  }
  if (call.kind === 'completion') {
    return toTextCompletion(body, {
      endpoint: target.endpoint,
      model: target.upstream_model,
      now,
      newId: () => `cmpl-${randomUUID()}`,
    });
  }
  const usage = usageOf(body);
  return usage ? { body, usage } : { body };
}
