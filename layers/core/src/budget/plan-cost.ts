// What a plan may cost at most (pure): the amount the reserve step holds before dispatch. A plan
// serves one answer from one of its targets (primary, a fallback, the hedge, an ensemble's
// winner), and the answer is charged at that target's model's prices; so the most it can cost is
// the largest of its targets' maximum costs. A target's maximum: the estimated prompt tokens
// plus the output it may produce (the caller's max_tokens, or, when the caller set none, what
// the model's context window leaves after the prompt) at the model's prices, rounded up to the
// nano-dollar; `n` choices may each produce that output. Tokens-per-minute limits reserve prompt
// plus that output the same way.
import type { ChatCompletionRequest } from '../chat.schema.ts';
import type { Model } from '../registry.schema.ts';
import type { Plan, PlanTarget, RouteRequest } from '../route.types.ts';
import { maxCostNanos, usdToNanosCeil } from './money.ts';

export interface PlanMaximum {
  /** Micro-USD. */
  cost_nanos: number;
  /** Prompt plus output tokens. */
  tokens: number;
}

/** Every target a plan may be served from (duplicates included). */
export function planTargets(plan: Plan): PlanTarget[] {
  return [
    plan.primary,
    ...plan.fallbacks,
    ...(plan.hedge ? [plan.hedge.target] : []),
    ...(plan.ensemble ? plan.ensemble.targets : []),
  ];
}

/** The output tokens a call to `model` may produce for `request`. */
export function maxOutputTokens(
  request: Pick<RouteRequest, 'prompt_tokens' | 'max_output_tokens'>,
  model: Pick<Model, 'context_window'>,
  explicitMaxTokens: boolean,
): number {
  if (explicitMaxTokens) return request.max_output_tokens;
  return Math.max(request.max_output_tokens, model.context_window - request.prompt_tokens);
}

/**
 * The most `plan` can cost (and the most tokens it can use). `modelOf` resolves a target's model
 * version; a target whose model is unknown is counted at its plan estimate.
 * `explicitMaxTokens`: whether the caller bounded the output (max_tokens); tasks without output
 * tokens (invocations) pass true with `max_output_tokens` 0.
 */
export function planMaximum(
  plan: Plan,
  request: Pick<RouteRequest, 'prompt_tokens' | 'max_output_tokens' | 'n'>,
  modelOf: (target: PlanTarget) => Pick<Model, 'cost' | 'context_window'> | undefined,
  explicitMaxTokens: boolean,
): PlanMaximum {
  let cost = 0;
  let tokens = 0;
  // n > 1 choices: each may produce the whole output.
  const choices = request.n ?? 1;
  for (const target of planTargets(plan)) {
    const model = modelOf(target);
    const output =
      choices * (model ? maxOutputTokens(request, model, explicitMaxTokens) : request.max_output_tokens);
    const c = model
      ? maxCostNanos(model, request.prompt_tokens, output)
      : usdToNanosCeil(target.estimated_cost_usd);
    cost = Math.max(cost, c);
    tokens = Math.max(tokens, request.prompt_tokens + output);
  }
  return { cost_nanos: cost, tokens };
}

/**
 * The most an async job can cost: the largest over its primary and fallbacks (a job is served by
 * one of them; it never hedges or fans out), as the router reserves a request.
 */
export function jobMaximum(
  plan: Plan,
  request: Pick<RouteRequest, 'prompt_tokens' | 'max_output_tokens' | 'n'>,
  modelOf: (target: PlanTarget) => Pick<Model, 'cost' | 'context_window'> | undefined,
  explicitMaxTokens: boolean,
): PlanMaximum {
  const { hedge: _hedge, ensemble: _ensemble, ...served } = plan;
  return planMaximum(served, request, modelOf, explicitMaxTokens);
}

/** Whether a job's body bounds its output (chat: max_tokens or max_completion_tokens; invocations have none). */
export function jobBoundsOutput(kind: 'chat' | 'invocation', body: unknown): boolean {
  if (kind !== 'chat') return true;
  const chat = body as Partial<ChatCompletionRequest>;
  return chat.max_tokens !== undefined || chat.max_completion_tokens !== undefined;
}
