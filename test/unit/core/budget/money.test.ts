// Money as integer micro-USD: limits round to the nearest micro-dollar, costs round up without
// float noise turning $0.000123 into 124, amounts print as a person reads them, and the cost of a
// model call comes from its prices.
import { describe, expect, it } from 'vitest';
import {
  actualCostMicros,
  formatUsdMicros,
  maxCostMicros,
  microsToUsd,
  spendBudgetSpec,
  tokensPerMinuteSpec,
  usdToMicros,
  usdToMicrosCeil,
} from '../../../../layers/core/src/index.ts';

describe('usdToMicros (limits)', () => {
  it('rounds to the nearest micro-dollar', () => {
    expect(usdToMicros(100)).toBe(100_000_000);
    expect(usdToMicros(0.1)).toBe(100_000);
    expect(usdToMicros(0.0000014)).toBe(1);
    expect(usdToMicros(0.0000015)).toBe(2);
    expect(usdToMicros(0)).toBe(0);
    expect(usdToMicros(9_000_000_000)).toBe(9_000_000_000_000_000);
  });

  it('refuses negative, non-finite and too large amounts', () => {
    for (const bad of [-0.01, Number.NaN, Number.POSITIVE_INFINITY, 9_000_000_000.01]) {
      expect(() => usdToMicros(bad)).toThrow(RangeError);
    }
  });
});

describe('usdToMicrosCeil (costs)', () => {
  it('rounds up, ignoring float noise', () => {
    expect(0.000123 * 1e6).toBe(123.00000000000001); // the noise this guards against
    expect(usdToMicrosCeil(0.000123)).toBe(123);
    expect(usdToMicrosCeil(0.1 + 0.2)).toBe(300_000);
    expect(usdToMicrosCeil(0.002)).toBe(2000);
    expect(usdToMicrosCeil(0.0018136)).toBe(1814);
    expect(usdToMicrosCeil(0.000001)).toBe(1);
    expect(usdToMicrosCeil(0.000001001)).toBe(2); // a thousandth of a micro-dollar more
    expect(usdToMicrosCeil(0.0000010004)).toBe(1); // less than half of one: noise
    expect(usdToMicrosCeil(0.000000001)).toBe(1);
    expect(usdToMicrosCeil(0.0000000004)).toBe(0);
    expect(usdToMicrosCeil(0)).toBe(0);
    expect(() => usdToMicrosCeil(-1)).toThrow(RangeError);
  });

  it('converts back', () => {
    expect(microsToUsd(1_500_000)).toBe(1.5);
  });
});

describe('formatUsdMicros', () => {
  it.each([
    [100_000_000, '$100.00'],
    [1_500_000, '$1.50'],
    [100_000, '$0.10'],
    [1_234, '$0.001234'],
    [123_400, '$0.1234'],
    [0, '$0.00'],
    [1_234_567_000_000, '$1,234,567.00'],
    [-3, '-$0.000003'],
  ])('%d micro-USD is %s', (micros, text) => {
    expect(formatUsdMicros(micros)).toBe(text);
  });
});

describe('model costs in micro-USD', () => {
  const m = { cost: { input_per_1k: 0.0002, output_per_1k: 0.0006, per_call: 0.00001 } };

  it('the maximum: estimated prompt plus the output cap, rounded up', () => {
    // 1000 x 0.2 + 512 x 0.6 + 10 = 517.2 micro-USD
    expect(maxCostMicros(m, 1000, 512)).toBe(518);
  });

  it('the actual: from the upstream usage', () => {
    // 10 x 0.2 + 5 x 0.6 + 10 = 15
    expect(actualCostMicros(m, { prompt_tokens: 10, completion_tokens: 5 })).toBe(15);
  });
});

describe('specs from a tenant record', () => {
  it('spend budgets in micro-USD, token limits per minute', () => {
    expect(spendBudgetSpec({ limit_usd: 100, period: 'month' }, 7)).toEqual({
      unit: 'usd_micros',
      period: 'month',
      limit: 100_000_000,
      revision: 7,
    });
    expect(spendBudgetSpec({ limit_usd: 2.5, period: 'day' })).toEqual({
      unit: 'usd_micros',
      period: 'day',
      limit: 2_500_000,
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
