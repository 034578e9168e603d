// Step 7 (budget part): settle each reservation to what the request actually used (the charged
// cost on the spend budget, prompt plus completion tokens on the tokens-per-minute one: the
// reserved tokens when the upstream reported none), or release it when nothing was served.
import type { InferenceResult } from '@switchyard/core';
import type { Held } from './money.types.ts';

export function settleStep(held: Held, costNanos: number, usage: InferenceResult['usage']): void {
  if (!held.set) return;
  const tokens = usage ? usage.prompt_tokens + usage.completion_tokens : held.tokens;
  const actuals: number[] = [];
  if (held.budgets.spend) actuals.push(costNanos);
  if (held.budgets.tokens) actuals.push(tokens);
  if (held.budgets.requests) actuals.push(1);
  held.set.settle(actuals);
}

export function releaseStep(held: Held | undefined): void {
  held?.set?.release();
}
