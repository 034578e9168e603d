// Budget periods on the UTC calendar: keys and windows at their exact edges (the last ms of a
// period is in it, the next ms is in the next one), month and year rollover, leap days, and
// the ids budgets are stored under.
import { describe, expect, it } from 'vitest';
import { budgetId, NEVER, periodWindow } from '../../../../layers/core/src/index.ts';

const at = (iso: string) => Date.parse(iso);

describe('periodWindow', () => {
  it.each([
    [
      'minute',
      '2026-11-24T10:31:00.000Z',
      '2026-11-24T10:31Z',
      '2026-11-24T10:31:00.000Z',
      '2026-11-24T10:32:00.000Z',
    ],
    [
      'minute',
      '2026-11-24T10:31:59.999Z',
      '2026-11-24T10:31Z',
      '2026-11-24T10:31:00.000Z',
      '2026-11-24T10:32:00.000Z',
    ],
    [
      'minute',
      '2026-12-31T23:59:30.000Z',
      '2026-12-31T23:59Z',
      '2026-12-31T23:59:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ],
    ['day', '2026-11-30T23:59:59.999Z', '2026-11-30', '2026-11-30T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
    ['day', '2026-12-01T00:00:00.000Z', '2026-12-01', '2026-12-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z'],
    ['day', '2028-02-29T12:00:00.000Z', '2028-02-29', '2028-02-29T00:00:00.000Z', '2028-03-01T00:00:00.000Z'],
    ['month', '2026-11-30T23:59:59.999Z', '2026-11', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
    ['month', '2026-12-15T08:00:00.000Z', '2026-12', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['month', '2028-02-10T00:00:00.000Z', '2028-02', '2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z'],
  ] as const)('%s at %s is %s [%s, %s)', (period, now, key, start, end) => {
    expect(periodWindow(period, at(now))).toEqual({ key, starts_at: at(start), ends_at: at(end) });
  });

  it('a period ends exactly where the next begins', () => {
    const last = periodWindow('day', at('2026-11-30T23:59:59.999Z'));
    const next = periodWindow('day', last.ends_at);
    expect(next.key).toBe('2026-12-01');
    expect(next.starts_at).toBe(last.ends_at);
  });

  it('total is one window that never ends', () => {
    expect(periodWindow('total', at('2026-11-24T10:31:00.000Z'))).toEqual({
      key: 'total',
      starts_at: 0,
      ends_at: 8_640_000_000_000_000,
    });
    expect(NEVER).toBe(8_640_000_000_000_000);
  });
});

describe('budgetId', () => {
  it('names a budget by unit and period', () => {
    expect(budgetId({ unit: 'usd_nanos', period: 'month' })).toBe('usd-month');
    expect(budgetId({ unit: 'usd_nanos', period: 'total' })).toBe('usd-total');
    expect(budgetId({ unit: 'tokens', period: 'minute' })).toBe('tokens-minute');
    expect(budgetId({ unit: 'requests', period: 'minute' })).toBe('requests-minute');
  });
});
