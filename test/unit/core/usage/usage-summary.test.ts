// summarizeUsage and parseUsageQuery: totals and groups with literal figures (micro-dollars summed
// exactly: ten records of $0.1 are $1, not 0.9999999999999999), the half-open range (a record at
// `from` counts, one at `to` does not), groups ordered by key, days in UTC; query bounds as epoch
// ms, dates (a `to` date includes its day) and date-times, and the 400s naming the parameter.
// Property: for any records and grouping, the groups partition the records in range and add up
// to the total, whatever the order of the input.
import { parseUsageQuery, summarizeUsage, type UsageFigures, type UsageGroupBy } from '@switchyard/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const NOV_1 = Date.UTC(2026, 10, 1); // 1_793_491_200_000
const DEC_1 = Date.UTC(2026, 11, 1);
const rec = (over: Partial<UsageFigures>): UsageFigures => ({
  key_id: 'key_a',
  model: 'm1',
  prompt_tokens: 10,
  completion_tokens: 5,
  cost_nanos: 100_000,
  at: NOV_1,
  ...over,
});

describe('summarizeUsage', () => {
  const records = [
    rec({ at: NOV_1 + 1_000, model: 'm2', key_id: 'key_b', cost_nanos: 250_000, prompt_tokens: 7 }),
    rec({ at: NOV_1 - 1, cost_nanos: 999_999_000 }), // before the range
    rec({ at: NOV_1 }), // exactly at from: in
    rec({ at: NOV_1 + 86_400_000 - 1, completion_tokens: 0 }), // last ms of Nov 1
    rec({ at: NOV_1 + 86_400_000, model: 'm2', cost_nanos: 1_000 }), // first ms of Nov 2
    rec({ at: DEC_1, cost_nanos: 999_999_000 }), // exactly at to: out
  ];
  const range = { fromMs: NOV_1, toMs: DEC_1 };

  it('totals the records in [from, to) without groups', () => {
    expect(summarizeUsage('acme', records, range)).toEqual({
      object: 'usage',
      tenant: 'acme',
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
      group_by: null,
      total: { requests: 4, prompt_tokens: 37, completion_tokens: 15, cost_usd: 0.000451 },
      groups: [],
    });
  });

  it('groups by model, ordered by key', () => {
    expect(summarizeUsage('acme', records, range, 'model').groups).toEqual([
      { key: 'm1', requests: 2, prompt_tokens: 20, completion_tokens: 5, cost_usd: 0.0002 },
      { key: 'm2', requests: 2, prompt_tokens: 17, completion_tokens: 10, cost_usd: 0.000251 },
    ]);
  });

  it('groups by UTC day: the last millisecond of a day and the first of the next apart', () => {
    expect(summarizeUsage('acme', records, range, 'day').groups).toEqual([
      { key: '2026-11-01', requests: 3, prompt_tokens: 27, completion_tokens: 10, cost_usd: 0.00045 },
      { key: '2026-11-02', requests: 1, prompt_tokens: 10, completion_tokens: 5, cost_usd: 0.000001 },
    ]);
  });

  it('groups by API key', () => {
    expect(summarizeUsage('acme', records, range, 'key').groups.map((g) => [g.key, g.requests])).toEqual([
      ['key_a', 3],
      ['key_b', 1],
    ]);
  });

  it('sums money in nano-dollars: ten times $0.1 is exactly $1', () => {
    const tens = Array.from({ length: 10 }, (_, i) => rec({ at: NOV_1 + i, cost_nanos: 100_000_000 }));
    expect(summarizeUsage('acme', tens, range).total.cost_usd).toBe(1);
  });

  it('answers zeros for no records', () => {
    expect(summarizeUsage('acme', [], range, 'day')).toMatchObject({
      total: { requests: 0, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0 },
      groups: [],
    });
  });

  it('partitions the records in range into groups that add up to the total (any order)', () => {
    const arb = fc.array(
      fc.record({
        key_id: fc.constantFrom('key_a', 'key_b', 'key_c'),
        model: fc.constantFrom('m1', 'm2', 'gpt-x'),
        prompt_tokens: fc.nat(100_000),
        completion_tokens: fc.nat(100_000),
        cost_nanos: fc.nat(10_000_000_000),
        at: fc.integer({ min: NOV_1 - 3 * 86_400_000, max: DEC_1 + 3 * 86_400_000 }),
      }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(arb, fc.constantFrom<UsageGroupBy>('model', 'day', 'key'), (rs, by) => {
        const s = summarizeUsage('t', rs, range, by);
        const inRange = rs.filter((r) => r.at >= NOV_1 && r.at < DEC_1);
        expect(s.total.requests).toBe(inRange.length);
        const sum = (f: (g: (typeof s.groups)[number]) => number) => s.groups.reduce((a, g) => a + f(g), 0);
        expect(sum((g) => g.requests)).toBe(s.total.requests);
        expect(sum((g) => g.prompt_tokens)).toBe(s.total.prompt_tokens);
        expect(sum((g) => g.completion_tokens)).toBe(s.total.completion_tokens);
        expect(Math.round(sum((g) => g.cost_usd) * 1e9)).toBe(Math.round(s.total.cost_usd * 1e9));
        expect(s.total.cost_usd * 1e9).toBeCloseTo(
          inRange.reduce((a, r) => a + r.cost_nanos, 0),
          3,
        );
        const keys = s.groups.map((g) => g.key);
        expect(keys).toEqual([...new Set(keys)].sort());
        expect(summarizeUsage('t', [...rs].reverse(), range, by)).toEqual(s);
      }),
    );
  });
});

describe('parseUsageQuery', () => {
  const NOW = Date.UTC(2026, 10, 24, 10, 30); // 2026-11-24T10:30Z

  it('defaults to the current UTC month up to now (a record at now included)', () => {
    expect(parseUsageQuery({}, NOW)).toEqual({ range: { fromMs: NOV_1, toMs: NOW + 1 } });
  });

  it('reads epoch ms, dates (a to date includes its day) and date-times with offsets', () => {
    expect(parseUsageQuery({ from: '1793491200000', to: '1793491200001' }, NOW).range).toEqual({
      fromMs: 1_793_491_200_000,
      toMs: 1_793_491_200_001,
    });
    expect(parseUsageQuery({ from: '2026-11-01', to: '2026-11-30' }, NOW).range).toEqual({
      fromMs: NOV_1,
      toMs: DEC_1,
    });
    expect(
      parseUsageQuery({ from: '2026-11-01T02:00:00+02:00', to: '2026-11-01T00:00:01Z' }, NOW).range,
    ).toEqual({ fromMs: NOV_1, toMs: NOV_1 + 1_000 });
    expect(parseUsageQuery({ from: '2026-11-01T00:00Z', to: '2026-11-01T00:00:00.5Z' }, NOW).range.toMs).toBe(
      NOV_1 + 500,
    );
  });

  it('takes group_by model, day or key', () => {
    for (const g of ['model', 'day', 'key']) expect(parseUsageQuery({ group_by: g }, NOW).groupBy).toBe(g);
  });

  const problem = (q: Record<string, string>) => {
    try {
      parseUsageQuery(q, NOW);
      return undefined;
    } catch (err) {
      const e = err as { status: number; param: string | null; message: string };
      return { status: e.status, param: e.param, message: e.message };
    }
  };

  it.each([
    [{ from: 'yesterday' }, 'from'],
    [{ from: '2026-02-30' }, 'from'],
    [{ from: '2026-13-01' }, 'from'],
    [{ from: '2026-11-01T00:00:00' }, 'from'], // no zone
    [{ from: '-5' }, 'from'],
    [{ from: '' }, 'from'],
    [{ to: '99999999999999999' }, 'to'],
    [{ to: '2026-11-01T25:00:00Z' }, 'to'],
    [{ group_by: 'tenant' }, 'group_by'],
    [{ group_by: '' }, 'group_by'],
    [{ group_by: 'Model' }, 'group_by'],
  ])('refuses %j with a 400 naming %s', (q, param) => {
    expect(problem(q)).toMatchObject({ status: 400, param });
  });

  it('needs to after from: equal is refused, one millisecond later accepted', () => {
    expect(problem({ from: '1000', to: '1000' })).toMatchObject({ status: 400, param: 'to' });
    expect(problem({ from: '1000', to: '999' })).toMatchObject({ status: 400, param: 'to' });
    expect(parseUsageQuery({ from: '1000', to: '1001' }, NOW).range).toEqual({ fromMs: 1000, toMs: 1001 });
  });

  it('covers at most 366 days', () => {
    const day = 86_400_000;
    expect(parseUsageQuery({ from: '0', to: String(366 * day) }, NOW).range.toMs).toBe(366 * day);
    expect(problem({ from: '0', to: String(366 * day + 1) })).toMatchObject({
      status: 400,
      param: 'to',
      message: expect.stringContaining('366 days'),
    });
  });
});
