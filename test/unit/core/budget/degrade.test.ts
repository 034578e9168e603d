// Budget-aware degrade (pure): no cap while at least 20% of the budget is left; below that each
// request may cost at most 1% of what is left, down to 0 when nothing is; a lower remaining
// budget never gives a looser cap.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { budgetCostCap, degradedRequest } from '../../../../layers/core/src/index.ts';

const LIMIT = 100_000_000_000; // $100 in nano-USD

describe('budgetCostCap', () => {
  it('imposes nothing while 20% or more is left', () => {
    expect(budgetCostCap(LIMIT, LIMIT)).toBeUndefined();
    expect(budgetCostCap(20_000_000_000, LIMIT)).toBeUndefined();
  });

  it('below 20% caps a request at 1% of what is left', () => {
    expect(budgetCostCap(19_999_999_999, LIMIT)).toEqual({
      cap_nanos: 199_999_999,
      remaining_share: 0.19999999999,
      reason: 'budget low: 20.0% left ($19.999999999 of $100.00), per-request cost cap $0.199999999',
    });
    expect(budgetCostCap(4_200_000_000, LIMIT)).toEqual({
      cap_nanos: 42_000_000,
      remaining_share: 0.042,
      reason: 'budget low: 4.2% left ($4.20 of $100.00), per-request cost cap $0.042',
    });
    expect(budgetCostCap(99, LIMIT)?.cap_nanos).toBe(0);
  });

  it('nothing left (or less: a lowered limit) is a zero cap', () => {
    expect(budgetCostCap(0, LIMIT)).toMatchObject({ cap_nanos: 0, remaining_share: 0 });
    expect(budgetCostCap(-5, LIMIT)).toMatchObject({ cap_nanos: 0, remaining_share: 0 });
  });

  it('without a limit there is nothing to measure against', () => {
    expect(budgetCostCap(0, 0)).toBeUndefined();
  });

  it('takes the policy it is given', () => {
    expect(budgetCostCap(49_000_000_000, LIMIT, { below: 0.5, share: 0.1 })?.cap_nanos).toBe(4_900_000_000);
    expect(budgetCostCap(50_000_000_000, LIMIT, { below: 0.5, share: 0.1 })).toBeUndefined();
  });

  it('is monotone (less left never loosens the cap) and never above 1% of what is left', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: LIMIT }), fc.integer({ min: -1000, max: LIMIT }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const capLo = budgetCostCap(lo, LIMIT)?.cap_nanos ?? Number.POSITIVE_INFINITY;
        const capHi = budgetCostCap(hi, LIMIT)?.cap_nanos ?? Number.POSITIVE_INFINITY;
        expect(capLo).toBeLessThanOrEqual(capHi);
        if (lo < 20_000_000_000) expect(capLo).toBeLessThanOrEqual(Math.max(0, lo) * 0.01);
      }),
    );
  });
});

describe('degradedRequest', () => {
  const req = {
    model: 'auto',
    task: 'chat',
    prompt_tokens: 1,
    max_output_tokens: 1,
    tenant: { id: 't' },
    hints: {},
  };
  const cap = { cap_nanos: 1_500_000, remaining_share: 0.15, reason: 'r' };

  it("sets the cap as max_cost_usd, unless the caller's own limit is as low or lower", () => {
    expect(degradedRequest(req, cap).hints.max_cost_usd).toBe(0.0015);
    expect(degradedRequest({ ...req, hints: { max_cost_usd: 0.01 } }, cap).hints.max_cost_usd).toBe(0.0015);
    expect(degradedRequest({ ...req, hints: { max_cost_usd: 0.0015 } }, cap).hints.max_cost_usd).toBe(0.0015);
    expect(degradedRequest({ ...req, hints: { max_cost_usd: 0.001 } }, cap).hints.max_cost_usd).toBe(0.001);
    expect(req.hints).toEqual({});
  });
});
