// Budget specs from what a tenant record says: a spend limit in USD per day, month or total, and
// an optional tokens-per-minute limit. Both go through the same lease engine.
import type { BudgetSpec } from './budget.types.ts';
import { usdToNanos } from './money.ts';

/** `{limit_usd: 100, period: 'month'}` as a spec in nano-USD. */
export function spendBudgetSpec(
  budget: { limit_usd: number; period: 'day' | 'month' | 'total' },
  revision = 0,
): BudgetSpec {
  return { unit: 'usd_nanos', period: budget.period, limit: usdToNanos(budget.limit_usd), revision };
}

/** A requests-per-minute limit as a spec: each request holds 1 from reserve to settle. */
export function requestsPerMinuteSpec(requestsPerMinute: number, revision = 0): BudgetSpec {
  if (!Number.isSafeInteger(requestsPerMinute) || requestsPerMinute < 0) {
    throw new RangeError(
      `a requests-per-minute limit must be a non-negative integer, got ${requestsPerMinute}`,
    );
  }
  return { unit: 'requests', period: 'minute', limit: requestsPerMinute, revision };
}

/** A tokens-per-minute limit as a spec (prompt plus completion tokens). */
export function tokensPerMinuteSpec(tokensPerMinute: number, revision = 0): BudgetSpec {
  if (!Number.isSafeInteger(tokensPerMinute) || tokensPerMinute < 0) {
    throw new RangeError(`a tokens-per-minute limit must be a non-negative integer, got ${tokensPerMinute}`);
  }
  return { unit: 'tokens', period: 'minute', limit: tokensPerMinute, revision };
}
