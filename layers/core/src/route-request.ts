// Builds the core's RouteRequest from an API body (chat completion or task invocation), its
// hints (body object and x-switchyard-* headers) and the caller's tenant. Shared by the sync
// router and the durable job workflow, so both route a request the same way.
import type { InvocationRequest } from './api.schema.ts';
import type { ChatCompletionRequest } from './chat.schema.ts';
import { mergeHints } from './hints.ts';
import type { RouteRequest, TenantContext } from './route.types.ts';
import { estimatePayloadTokens, estimatePromptTokens } from './tokens.ts';

/** max_tokens assumed for cost and context checks when the caller sends none. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 512;

export function chatRouteRequest(
  body: ChatCompletionRequest,
  headers: Record<string, string>,
  tenant: TenantContext,
): RouteRequest {
  const hints = mergeHints(body['x-switchyard'], headers);
  return {
    model: body.model,
    task: hints.task ?? 'chat',
    prompt_tokens: estimatePromptTokens(body.messages),
    max_output_tokens: body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    tenant,
    hints,
    headers,
    ...(body.user ? { user: body.user } : {}),
    // n > 1 is a constraint (endpoints with supports_n) and multiplies the output's cost.
    ...(typeof body.n === 'number' && body.n > 1 ? { n: body.n } : {}),
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
