// Budget-aware degrade (pure): as a USD budget runs low, the per-request cost cap tightens so the
// router picks cheaper eligible models instead of refusing. Above `below` x limit left there is no
// cap; below it each request may cost at most `share` of what is left, so the rest stretches over
// many cheaper requests and the cap reaches zero only when nothing is left.
import type { RouteRequest } from '../route.types.ts';
import { formatUsdNanos, nanosToUsd } from './money.ts';

export interface BudgetDegradePolicy {
  /** Tightening starts when less than this share of the limit is left (0..1). */
  below: number;
  /** Then a request may cost at most this share of what is left (0..1]. */
  share: number;
}

export const DEFAULT_DEGRADE_POLICY: Readonly<BudgetDegradePolicy> = { below: 0.2, share: 0.01 };

export interface BudgetCostCap {
  /** The per-request cost cap, nano-USD. */
  cap_nanos: number;
  /** remaining / limit. */
  remaining_share: number;
  /** For the explanation: why the cap is there. */
  reason: string;
}

/**
 * The per-request cost cap a budget with `remaining` of `limit` nano-USD left imposes, or
 * undefined when it imposes none (enough left, or no limit to measure against).
 */
export function budgetCostCap(
  remaining: number,
  limit: number,
  policy: BudgetDegradePolicy = DEFAULT_DEGRADE_POLICY,
): BudgetCostCap | undefined {
  if (limit <= 0 || remaining >= policy.below * limit) return undefined;
  const left = Math.max(0, remaining);
  const cap = Math.floor(left * policy.share);
  const share = left / limit;
  return {
    cap_nanos: cap,
    remaining_share: share,
    reason:
      `budget low: ${(share * 100).toFixed(1)}% left (${formatUsdNanos(left)} of ${formatUsdNanos(limit)}), ` +
      `per-request cost cap ${formatUsdNanos(cap)}`,
  };
}

/**
 * The request with the cap as its cost limit (`hints.max_cost_usd`), unless the caller's own
 * limit is already as low: the router then picks among the models under the cap.
 */
export function degradedRequest(request: RouteRequest, cap: BudgetCostCap): RouteRequest {
  const capUsd = nanosToUsd(cap.cap_nanos);
  const own = request.hints.max_cost_usd;
  if (own !== undefined && own <= capUsd) return request;
  return { ...request, hints: { ...request.hints, max_cost_usd: capUsd } };
}
