// Refusals (pure): why a reservation did not fit a budget period (the whole limit, what settled
// spend leaves, or only what is not leased out), when a retry can succeed, and the error the
// caller gets: 429 `insufficient_quota` for spend, 429 `rate_limit_exceeded` for token limits.
import { InsufficientQuotaError, RateLimitError, type SwitchyardError } from '../errors.ts';
import type { BudgetPeriod, BudgetRefusal, BudgetSpec } from './budget.types.ts';
import { formatUsdNanos } from './money.ts';
import { budgetId, type PeriodWindow } from './periods.ts';

export interface RefusalInput {
  tenant: string;
  spec: BudgetSpec;
  window: PeriodWindow;
  /** The period's state when refused. */
  limit: number;
  spent: number;
  available: number;
  requested: number;
  now: number;
  /** Retry-After of a `held` refusal. */
  heldRetryMs: number;
}

/** Classifies a reservation of `requested` that did not fit `available`. */
export function budgetRefusal(input: RefusalInput): BudgetRefusal {
  const { spec, window, limit, spent, requested, now } = input;
  const unspent = limit - spent;
  const reason = requested > limit ? 'exceeds-limit' : requested > unspent ? 'exhausted' : 'held';
  const resets_at = spec.period === 'total' ? null : window.ends_at;
  const retry_after_ms =
    reason === 'held'
      ? input.heldRetryMs
      : reason === 'exhausted' && resets_at !== null
        ? Math.max(0, resets_at - now)
        : null;
  return {
    ok: false,
    reason,
    tenant: input.tenant,
    budget: budgetId(spec),
    unit: spec.unit,
    period: spec.period,
    period_key: window.key,
    limit,
    unspent,
    available: input.available,
    requested,
    resets_at,
    retry_after_ms,
  };
}

const SPEND_LABEL: Record<BudgetPeriod, string> = {
  minute: 'per-minute',
  day: 'daily',
  month: 'monthly',
  total: 'total',
};
const TOKEN_LABEL: Record<BudgetPeriod, string> = {
  minute: 'per minute',
  day: 'per day',
  month: 'per month',
  total: 'in total',
};

const tokens = (n: number) => Math.max(0, n).toLocaleString('en-US');
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** The error a refused request answers with (status 429 either way). */
export function budgetRefusalError(r: BudgetRefusal): SwitchyardError {
  if (r.unit === 'tokens') return tokenLimitError(r);
  if (r.unit === 'requests') return requestLimitError(r);
  return spendError(r);
}

function requestLimitError(r: BudgetRefusal): RateLimitError {
  const retry = r.retry_after_ms ?? 60_000;
  const inFlight = r.reason === 'exhausted' ? '' : ', counting requests in flight';
  return new RateLimitError(
    `Rate limit reached: the limit of ${tokens(r.limit)} requests ${TOKEN_LABEL[r.period]} is used up in ` +
      `${r.period_key}${inFlight}. Retry after ${seconds(retry)} s.`,
    retry / 1000,
  );
}

function spendError(r: BudgetRefusal): InsufficientQuotaError {
  const budget = `${SPEND_LABEL[r.period]} budget of ${formatUsdNanos(r.limit)}`;
  const ask = `this request may cost up to ${formatUsdNanos(r.requested)}`;
  const reset =
    r.resets_at === null
      ? 'It does not reset: ask for a higher limit.'
      : `It resets at ${new Date(r.resets_at).toISOString()}.`;
  const message =
    r.reason === 'exceeds-limit'
      ? `${capitalize(ask)}, more than the whole ${budget}: lower max_tokens or use a cheaper model.`
      : r.reason === 'exhausted'
        ? `The ${budget} is exhausted: ${formatUsdNanos(Math.max(0, r.unspent))} is left in period ` +
          `${r.period_key} and ${ask}. ${reset}`
        : `The ${budget} is nearly exhausted: of the ${formatUsdNanos(r.unspent)} left in period ` +
          `${r.period_key}, ${formatUsdNanos(Math.max(0, r.available))} is not reserved by requests in ` +
          `flight and ${ask}. Retry in ${seconds(r.retry_after_ms ?? 0)} s.`;
  return new InsufficientQuotaError(
    message,
    { budget: r.budget, period: r.period_key, resets_at: r.resets_at },
    r.retry_after_ms === null ? null : r.retry_after_ms / 1000,
    r.reason === 'exceeds-limit' ? { param: 'max_tokens' } : {},
  );
}

function tokenLimitError(r: BudgetRefusal): RateLimitError {
  const limit = `limit of ${tokens(r.limit)} tokens ${TOKEN_LABEL[r.period]}`;
  const ask = `this request may use up to ${tokens(r.requested)} tokens (estimated prompt plus max_tokens)`;
  if (r.reason === 'exceeds-limit') {
    return new RateLimitError(`${capitalize(ask)}, more than the whole ${limit}: lower max_tokens.`, 60, {
      param: 'max_tokens',
    });
  }
  const left =
    r.reason === 'exhausted'
      ? `${tokens(r.unspent)} left in ${r.period_key}`
      : `${tokens(r.unspent)} left in ${r.period_key}, of which ${tokens(r.available)} are not reserved by ` +
        `requests in flight`;
  const retry = r.retry_after_ms ?? 60_000;
  return new RateLimitError(
    `Rate limit reached: the ${limit} has ${left}, and ${ask}. Retry after ${seconds(retry)} s.`,
    retry / 1000,
  );
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
