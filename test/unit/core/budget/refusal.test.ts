// Refusals: which reason (the whole limit, what settled spend leaves, or only what is not leased
// out) at the exact boundaries, when to retry, and the error the caller gets: 429
// insufficient_quota for spend (Retry-After until the reset, or seconds when only leased out),
// 429 rate_limit_exceeded for tokens per minute.
import { describe, expect, it } from 'vitest';
import {
  type BudgetSpec,
  BudgetUnavailableError,
  budgetRefusal,
  budgetRefusalError,
  InsufficientQuotaError,
  periodWindow,
  RateLimitError,
} from '../../../../layers/core/src/index.ts';

const NOW = Date.parse('2026-11-24T10:31:00.000Z');
const MONTH: BudgetSpec = { unit: 'usd_nanos', period: 'month', limit: 100_000_000_000 };
const TPM: BudgetSpec = { unit: 'tokens', period: 'minute', limit: 10_000 };

function refuse(spec: BudgetSpec, spent: number, available: number, requested: number, now = NOW) {
  return budgetRefusal({
    tenant: 'acme',
    spec,
    window: periodWindow(spec.period, now),
    limit: spec.limit,
    spent,
    available,
    requested,
    now,
    heldRetryMs: 5_000,
  });
}

describe('budgetRefusal', () => {
  it('exhausted: more than limit - spent; retry when the period resets', () => {
    expect(refuse(MONTH, 99_998_800_000, 0, 4_000_000)).toEqual({
      ok: false,
      reason: 'exhausted',
      tenant: 'acme',
      budget: 'usd-month',
      unit: 'usd_nanos',
      period: 'month',
      period_key: '2026-11',
      limit: 100_000_000_000,
      unspent: 1_200_000,
      available: 0,
      requested: 4_000_000,
      resets_at: Date.parse('2026-12-01T00:00:00.000Z'),
      retry_after_ms: 566_940_000,
    });
  });

  it('held: it fits what settled spend leaves, but that is leased out; retry in seconds', () => {
    expect(refuse(MONTH, 99_000_000_000, 1_000_000, 1_000_000_000)).toMatchObject({
      reason: 'held',
      unspent: 1_000_000_000,
      retry_after_ms: 5_000,
    });
    expect(refuse(MONTH, 99_000_000_000, 1_000_000, 1_000_000_001).reason).toBe('exhausted');
  });

  it('exceeds-limit: more than the whole limit; waiting cannot help', () => {
    expect(refuse(MONTH, 0, 0, 100_000_000_001)).toMatchObject({
      reason: 'exceeds-limit',
      retry_after_ms: null,
    });
    expect(refuse(MONTH, 0, 0, 100_000_000_000).reason).toBe('held');
    expect(refuse(MONTH, 1, 0, 100_000_000_000).reason).toBe('exhausted');
  });

  it('a total budget never resets', () => {
    expect(refuse({ ...MONTH, period: 'total' }, 100_000_000_000, 0, 1)).toMatchObject({
      reason: 'exhausted',
      period_key: 'total',
      resets_at: null,
      retry_after_ms: null,
    });
  });
});

describe('budgetRefusalError', () => {
  it('spend exhausted: 429 insufficient_quota naming the budget, what is left and the reset', () => {
    const err = budgetRefusalError(refuse(MONTH, 99_998_800_000, 0, 4_000_000));
    expect(err).toBeInstanceOf(InsufficientQuotaError);
    expect(err.status).toBe(429);
    expect(err.type).toBe('insufficient_quota');
    expect(err.code).toBe('insufficient_quota');
    expect(err.param).toBeNull();
    expect(err.headers).toEqual({ 'retry-after': '566940' });
    expect(err.message).toBe(
      'The monthly budget of $100.00 is exhausted: $0.0012 is left in period 2026-11 and this request may ' +
        'cost up to $0.004. It resets at 2026-12-01T00:00:00.000Z.',
    );
    expect((err as InsufficientQuotaError).quota).toEqual({
      budget: 'usd-month',
      period: '2026-11',
      resets_at: Date.parse('2026-12-01T00:00:00.000Z'),
    });
  });

  it('spend held: retry in a few seconds', () => {
    const err = budgetRefusalError(refuse(MONTH, 99_000_000_000, 1_000_000, 4_000_000));
    expect(err.headers).toEqual({ 'retry-after': '5' });
    expect(err.message).toBe(
      'The monthly budget of $100.00 is nearly exhausted: of the $1.00 left in period 2026-11, $0.001 is not ' +
        'reserved by requests in flight and this request may cost up to $0.004. Retry in 5 s.',
    );
  });

  it('spend beyond the whole limit: no Retry-After, param max_tokens', () => {
    const err = budgetRefusalError(refuse(MONTH, 0, 0, 100_000_000_001));
    expect(err.headers).toEqual({});
    expect(err.param).toBe('max_tokens');
    expect(err.message).toBe(
      'This request may cost up to $100.000000001, more than the whole monthly budget of $100.00: lower ' +
        'max_tokens or use a cheaper model.',
    );
  });

  it('a total budget says it does not reset', () => {
    const err = budgetRefusalError(
      refuse({ ...MONTH, period: 'total', limit: 5_000_000_000 }, 5_000_000_000, 0, 1),
    );
    expect(err.headers).toEqual({});
    expect(err.message).toBe(
      'The total budget of $5.00 is exhausted: $0.00 is left in period total and this request may cost up to ' +
        '$0.000000001. It does not reset: ask for a higher limit.',
    );
  });

  it('tokens per minute: 429 rate_limit_exceeded, retry when the minute ends', () => {
    const err = budgetRefusalError(refuse(TPM, 8_000, 2_000, 9_000, NOW + 31_000));
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.status).toBe(429);
    expect(err.code).toBe('rate_limit_exceeded');
    expect(err.headers).toEqual({ 'retry-after': '29' });
    expect(err.message).toBe(
      'Rate limit reached: the limit of 10,000 tokens per minute has 2,000 left in 2026-11-24T10:31Z, and this ' +
        'request may use up to 9,000 tokens (estimated prompt plus max_tokens). Retry after 29 s.',
    );
  });

  it('tokens held, and beyond the whole limit', () => {
    const held = budgetRefusalError(refuse(TPM, 1_000, 500, 9_000));
    expect(held.headers).toEqual({ 'retry-after': '5' });
    expect(held.message).toBe(
      'Rate limit reached: the limit of 10,000 tokens per minute has 9,000 left in 2026-11-24T10:31Z, of which ' +
        '500 are not reserved by requests in flight, and this request may use up to 9,000 tokens (estimated ' +
        'prompt plus max_tokens). Retry after 5 s.',
    );
    const big = budgetRefusalError(refuse(TPM, 0, 10_000, 12_000));
    expect(big.param).toBe('max_tokens');
    expect(big.message).toBe(
      'This request may use up to 12,000 tokens (estimated prompt plus max_tokens), more than the whole limit ' +
        'of 10,000 tokens per minute: lower max_tokens.',
    );
  });
});

describe('BudgetUnavailableError', () => {
  it('is a 503 to retry shortly: an unreachable budget store never serves a request unmetered', () => {
    const err = new BudgetUnavailableError(undefined, { cause: new Error('throttled') });
    expect(err.status).toBe(503);
    expect(err.type).toBe('service_unavailable');
    expect(err.code).toBe('budget_unavailable');
    expect(err.headers).toEqual({ 'retry-after': '1' });
    expect(err.message).toBe('The budget service is unavailable; retry shortly.');
  });
});
