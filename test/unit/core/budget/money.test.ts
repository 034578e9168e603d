// Money as integer nano-USD: limits round to the nearest nano-dollar, costs round up without
// float noise turning $0.000123 into 123,001, amounts print as a person reads them, and the cost
// of a model call comes from its prices (a few tokens cost a few nano-dollars, not a micro-dollar).
import { describe, expect, it } from 'vitest';
import {
  actualCostNanos,
  formatUsdNanos,
  maxCostNanos,
  nanosToUsd,
  spendBudgetSpec,
  tokensPerMinuteSpec,
  usdToNanos,
  usdToNanosCeil,
} from '../../../../layers/core/src/index.ts';

describe('usdToNanos (limits)', () => {
  it('rounds to the nearest nano-dollar', () => {
    expect(usdToNanos(100)).toBe(100_000_000_000);
    expect(usdToNanos(0.1)).toBe(100_000_000);
    expect(usdToNanos(0.0000000014)).toBe(1);
    expect(usdToNanos(0.0000000015)).toBe(2);
    expect(usdToNanos(0)).toBe(0);
    // The largest budget, and every sum up to it, is an exact integer.
    expect(usdToNanos(9_000_000)).toBe(9_000_000_000_000_000);
    expect(Number.isSafeInteger(usdToNanos(9_000_000))).toBe(true);
  });

  it('refuses negative, non-finite and too large amounts', () => {
    for (const bad of [-0.01, Number.NaN, Number.POSITIVE_INFINITY, 9_000_000.01]) {
      expect(() => usdToNanos(bad)).toThrow(RangeError);
    }
  });
});

describe('usdToNanosCeil (costs)', () => {
  it('rounds up, ignoring float noise', () => {
    expect(0.000123 * 1e9).toBe(123_000.00000000001); // the noise this guards against
    expect(usdToNanosCeil(0.000123)).toBe(123_000);
    expect(usdToNanosCeil(0.0000001234)).toBe(124); // a real fraction: up
    expect(usdToNanosCeil(0.1 + 0.2)).toBe(300_000_000);
    expect(usdToNanosCeil(0.002)).toBe(2_000_000);
    expect(usdToNanosCeil(0.0018136)).toBe(1_813_600);
    expect(usdToNanosCeil(0.00000004)).toBe(40); // a 2-token embedding at $0.00002 per 1K
    expect(usdToNanosCeil(0.000000001)).toBe(1);
    expect(usdToNanosCeil(0.000000001001)).toBe(2); // a thousandth of a nano-dollar more
    expect(usdToNanosCeil(0.0000000010004)).toBe(1); // less than half of one: noise
    expect(usdToNanosCeil(0.000000000001)).toBe(1);
    expect(usdToNanosCeil(0.0000000000004)).toBe(0);
    expect(usdToNanosCeil(0)).toBe(0);
    expect(() => usdToNanosCeil(-1)).toThrow(RangeError);
  });

  it('converts back', () => {
    expect(nanosToUsd(1_500_000_000)).toBe(1.5);
    expect(nanosToUsd(40)).toBe(0.00000004);
  });
});

describe('formatUsdNanos', () => {
  it.each([
    [100_000_000_000, '$100.00'],
    [1_500_000_000, '$1.50'],
    [100_000_000, '$0.10'],
    [1_234_000, '$0.001234'],
    [123_400_000, '$0.1234'],
    [40, '$0.00000004'],
    [1, '$0.000000001'],
    [0, '$0.00'],
    [1_234_567_000_000_000, '$1,234,567.00'],
    [10_000_000, '$0.01'],
    [10_000_001, '$0.010000001'],
    [-3_000, '-$0.000003'],
  ])('%d nano-USD is %s', (nanos, text) => {
    expect(formatUsdNanos(nanos)).toBe(text);
  });
});

describe('model costs in nano-USD', () => {
  const m = { cost: { input_per_1k: 0.0002, output_per_1k: 0.0006, per_call: 0.00001 } };

  it('the maximum: estimated prompt plus the output cap, exact in nano-dollars', () => {
    // 1000 x 200 + 512 x 600 + 10,000 = 517,200 nano-USD
    expect(maxCostNanos(m, 1000, 512)).toBe(517_200);
  });

  it('the actual: from the upstream usage', () => {
    // 10 x 200 + 5 x 600 + 10,000 = 15,000
    expect(actualCostNanos(m, { prompt_tokens: 10, completion_tokens: 5 })).toBe(15_000);
    // A fraction of a nano-dollar is rounded up: 1 token at $0.0000005 per 1K is 0.5.
    expect(
      actualCostNanos(
        { cost: { input_per_1k: 0.0000005, output_per_1k: 0, per_call: 0 } },
        {
          prompt_tokens: 1,
          completion_tokens: 0,
        },
      ),
    ).toBe(1);
  });
});

describe('specs from a tenant record', () => {
  it('spend budgets in nano-USD, token limits per minute', () => {
    expect(spendBudgetSpec({ limit_usd: 100, period: 'month' }, 7)).toEqual({
      unit: 'usd_nanos',
      period: 'month',
      limit: 100_000_000_000,
      revision: 7,
    });
    expect(spendBudgetSpec({ limit_usd: 2.5, period: 'day' })).toEqual({
      unit: 'usd_nanos',
      period: 'day',
      limit: 2_500_000_000,
      revision: 0,
    });
    expect(tokensPerMinuteSpec(10_000)).toEqual({
      unit: 'tokens',
      period: 'minute',
      limit: 10_000,
      revision: 0,
    });
    expect(() => tokensPerMinuteSpec(1.5)).toThrow(RangeError);
    expect(() => tokensPerMinuteSpec(-1)).toThrow(RangeError);
  });
});
