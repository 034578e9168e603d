// Money as integers: budgets hold micro-USD (millionths of a dollar), never floats. Conversions
// from the USD prices and costs the registry and the scorer use, rounding limits to the nearest
// micro-dollar and costs up (a reservation must never be smaller than what it covers), and a
// readable dollar amount for messages.
import type { Model } from '../registry.schema.ts';
import { estimateCostUsd } from '../score.ts';

export const MICROS_PER_USD = 1_000_000;
/** Largest amount a budget holds: $9 billion, so every sum of micro-dollars stays an exact integer. */
export const MAX_BUDGET_USD = 9_000_000_000;

/** A USD amount (a limit) in micro-USD, to the nearest micro-dollar. */
export function usdToMicros(usd: number): number {
  if (!Number.isFinite(usd) || usd < 0 || usd > MAX_BUDGET_USD) {
    throw new RangeError(`a budget amount must be between $0 and $${MAX_BUDGET_USD}, got ${usd}`);
  }
  return Math.round(usd * MICROS_PER_USD);
}

/**
 * A cost in USD as micro-USD, rounded up. Float noise below a thousandth of a micro-dollar is
 * dropped first, so $0.000123 is 123 and not 124.
 */
export function usdToMicrosCeil(usd: number): number {
  if (!Number.isFinite(usd) || usd < 0)
    throw new RangeError(`a cost must be a finite USD amount >= 0, got ${usd}`);
  return Math.ceil(Math.round(usd * 1e9) / 1000);
}

export function microsToUsd(micros: number): number {
  return micros / MICROS_PER_USD;
}

/** `$100.00`, `$1.50`, `$0.001234`: cents when exact, otherwise every micro-dollar digit needed. */
export function formatUsdMicros(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const dollars = Math.floor(abs / MICROS_PER_USD);
  const fraction = String(abs % MICROS_PER_USD).padStart(6, '0');
  const digits = fraction.endsWith('0000') ? fraction.slice(0, 2) : fraction.replace(/0+$/, '');
  return `${sign}$${dollars.toLocaleString('en-US')}.${digits}`;
}

/** The most a call to `model` can cost, in micro-USD: prompt tokens plus the output cap, rounded up. */
export function maxCostMicros(
  model: Pick<Model, 'cost'>,
  promptTokens: number,
  maxOutputTokens: number,
): number {
  return usdToMicrosCeil(estimateCostUsd(model, promptTokens, maxOutputTokens));
}

/** What a served call cost, in micro-USD, from the upstream's token usage (rounded up). */
export function actualCostMicros(
  model: Pick<Model, 'cost'>,
  usage: { prompt_tokens: number; completion_tokens: number },
): number {
  return usdToMicrosCeil(estimateCostUsd(model, usage.prompt_tokens, usage.completion_tokens));
}
