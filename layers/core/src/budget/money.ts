// Money as integers: budgets, usage records and summaries hold nano-USD (billionths of a dollar),
// never floats, so a 2-token embedding at $0.00002 per 1K is charged its 40 nano-dollars (not a
// whole micro-dollar) and every sum is exact. Conversions from the USD prices and costs the
// registry and the scorer use, rounding limits to the nearest nano-dollar and costs up (a
// reservation must never be smaller than what it covers), and a readable dollar amount for messages.
import type { Model } from '../registry.schema.ts';
import { estimateCostUsd } from '../score.ts';

export const NANOS_PER_USD = 1_000_000_000;
/**
 * Largest amount a budget holds: $9 million, so every sum of nano-dollars up to it stays an exact
 * integer (below 2^53, about 9.007e15).
 */
export const MAX_BUDGET_USD = 9_000_000;

/** A USD amount (a limit) in nano-USD, to the nearest nano-dollar. */
export function usdToNanos(usd: number): number {
  if (!Number.isFinite(usd) || usd < 0 || usd > MAX_BUDGET_USD) {
    throw new RangeError(`a budget amount must be between $0 and $${MAX_BUDGET_USD}, got ${usd}`);
  }
  return Math.round(usd * NANOS_PER_USD);
}

/**
 * A cost in USD as nano-USD, rounded up. Float noise below a thousandth of a nano-dollar is
 * dropped first, so $0.000123 is 123,000 and not 123,001.
 */
export function usdToNanosCeil(usd: number): number {
  if (!Number.isFinite(usd) || usd < 0)
    throw new RangeError(`a cost must be a finite USD amount >= 0, got ${usd}`);
  return Math.ceil(Math.round(usd * 1e12) / 1000);
}

export function nanosToUsd(nanos: number): number {
  return nanos / NANOS_PER_USD;
}

/** `$100.00`, `$1.50`, `$0.000001234`: cents when exact, otherwise every nano-dollar digit needed. */
export function formatUsdNanos(nanos: number): string {
  const sign = nanos < 0 ? '-' : '';
  const abs = Math.abs(nanos);
  const dollars = Math.floor(abs / NANOS_PER_USD);
  const fraction = String(abs % NANOS_PER_USD).padStart(9, '0');
  const digits = fraction.endsWith('0000000') ? fraction.slice(0, 2) : fraction.replace(/0+$/, '');
  return `${sign}$${dollars.toLocaleString('en-US')}.${digits}`;
}

/** The most a call to `model` can cost, in nano-USD: prompt tokens plus the output cap, rounded up. */
export function maxCostNanos(
  model: Pick<Model, 'cost'>,
  promptTokens: number,
  maxOutputTokens: number,
): number {
  return usdToNanosCeil(estimateCostUsd(model, promptTokens, maxOutputTokens));
}

/** What a served call cost, in nano-USD, from the upstream's token usage (rounded up). */
export function actualCostNanos(
  model: Pick<Model, 'cost'>,
  usage: { prompt_tokens: number; completion_tokens: number },
): number {
  return usdToNanosCeil(estimateCostUsd(model, usage.prompt_tokens, usage.completion_tokens));
}
