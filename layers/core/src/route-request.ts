// Builds the core's RouteRequest from an API body (chat completion or task invocation), its
// hints (body object and x-switchyard-* headers) and the caller's tenant. Shared by the sync
// router and the durable job workflow, so both route a request the same way. A chat or legacy
// completion body is text generation: a task hint of a route of its own (`embedding`, which only
// POST /v1/embeddings calls) would route it to a model that cannot answer it, so it is a 400
// naming the hint, before any routing.
import { conversationKey } from './affinity/affinity-key.ts';
import type { InvocationRequest } from './api.schema.ts';
import type { ChatCompletionRequest } from './chat.schema.ts';
import type { CompletionRequest } from './completion.schema.ts';
import { promptCount, promptTexts } from './completion.schema.ts';
import { EMBEDDING_TASK } from './embeddings/embedding-request.ts';
import { InvalidRequestError } from './errors.ts';
import { mergeHints } from './hints.ts';
import type { RouteRequest, TenantContext } from './route.types.ts';
import {
  estimatePayloadTokens,
  estimatePromptTokens,
  estimateTextTokens,
  REPLY_PRIMING_TOKENS,
} from './tokens.ts';

/** max_tokens assumed for cost and context checks when the caller sends none. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 512;
/** OpenAI's default max_tokens of a legacy completion. */
export const COMPLETION_DEFAULT_MAX_TOKENS = 16;

export function chatRouteRequest(
  body: ChatCompletionRequest,
  headers: Record<string, string>,
  tenant: TenantContext,
): RouteRequest {
  const hints = mergeHints(body['x-switchyard'], headers);
  return {
    model: body.model,
    task: generationTask(hints.task, body['x-switchyard'], 'chat', 'a chat completion'),
    prompt_tokens: estimatePromptTokens(body.messages),
    max_output_tokens: body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    tenant,
    hints,
    headers,
    ...(body.user ? { user: body.user } : {}),
    ...withConversationKey(body.messages),
    // n > 1 is a constraint (endpoints with supports_n) and multiplies the output's cost.
    ...(typeof body.n === 'number' && body.n > 1 ? { n: body.n } : {}),
    ...(body.stream === true ? { stream: true } : {}),
  };
}

/** Tasks with a route of their own, and that route: a chat or completion body may not be routed by them. */
export const OWN_ROUTE_TASKS: ReadonlyMap<string, string> = new Map([
  [EMBEDDING_TASK, 'POST /v1/embeddings'],
]);

/**
 * The task a chat or completion body is routed by: the task hint, else the route's own task.
 * Throws InvalidRequestError naming the hint (the body's `x-switchyard.task` when set there, else
 * the `x-switchyard-task` header) for a task of another route.
 */
function generationTask(
  task: string | undefined,
  bodyHints: { task?: string } | undefined,
  fallback: string,
  what: string,
): string {
  if (task === undefined) return fallback;
  const route = OWN_ROUTE_TASKS.get(task);
  if (route !== undefined) {
    const param = bodyHints?.task === undefined ? 'x-switchyard-task' : 'x-switchyard.task';
    throw new InvalidRequestError(`${param}: task "${task}" is not valid for ${what}; send it to ${route}`, {
      param,
      code: 'invalid_hint',
    });
  }
  return task;
}

/** The conversation key of chat messages (affinity), when they have a user message. */
function withConversationKey(messages: ChatCompletionRequest['messages']): { conversation_key?: string } {
  const key = conversationKey(messages);
  return key === undefined ? {} : { conversation_key: key };
}

/** A legacy completion body (`POST /v1/completions`): routed like chat, by task `completion`. */
export function completionRouteRequest(
  body: CompletionRequest,
  headers: Record<string, string>,
  tenant: TenantContext,
): RouteRequest {
  const hints = mergeHints(body['x-switchyard'], headers);
  const prompt = body.prompt;
  const texts = promptTexts(prompt);
  // Token-array prompts count their tokens; text prompts are estimated like chat text.
  const tokenIds =
    typeof prompt === 'string'
      ? 0
      : (prompt as ReadonlyArray<unknown>).flat().filter((x) => typeof x === 'number').length;
  return {
    model: body.model,
    task: generationTask(hints.task, body['x-switchyard'], 'completion', 'a completion'),
    prompt_tokens: REPLY_PRIMING_TOKENS + tokenIds + texts.reduce((n, t) => n + estimateTextTokens(t), 0),
    max_output_tokens: (body.max_tokens ?? COMPLETION_DEFAULT_MAX_TOKENS) * promptCount(prompt),
    tenant,
    hints,
    headers,
    ...(body.user ? { user: body.user } : {}),
    ...(body.stream === true ? { stream: true } : {}),
  };
}

export function invocationRouteRequest(
  body: InvocationRequest,
  headers: Record<string, string>,
  tenant: TenantContext,
): RouteRequest {
  const hints = mergeHints(body['x-switchyard'], headers);
  return {
    // No model: routed by task (policy-match.ts).
    ...(body.model === undefined ? {} : { model: body.model }),
    task: body.task,
    prompt_tokens: estimatePayloadTokens(body.payload),
    max_output_tokens: 0,
    tenant,
    hints: { ...hints, task: body.task },
    headers,
  };
}
