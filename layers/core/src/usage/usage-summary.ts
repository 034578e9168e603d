// Usage summaries (pure): the admin route `GET /admin/tenants/{id}/usage` and the consumer route
// `GET /v1/usage` answer with totals over a time range and, with `group_by`, one group per model,
// UTC day or API key: `{tenant, from, to, total: {requests, prompt_tokens, completion_tokens,
// cost_usd}, groups: [{key, ...same}]}`. Money is summed in integer nano-USD and shown in USD, so
// the groups add up to the total exactly. `parseUsageQuery` reads the routes' query parameters:
// `from`/`to` as epoch ms, an ISO date (a whole UTC day: `to=2026-11-30` includes that day) or an
// ISO date-time; the range is half-open, [from, to).
import { InvalidRequestError } from '../errors.ts';
import type { UsageRecord } from './usage-record.ts';

/** What a summary reads of a usage record. */
export type UsageFigures = Pick<
  UsageRecord,
  'key_id' | 'model' | 'prompt_tokens' | 'completion_tokens' | 'cost_nanos' | 'at'
>;

export const USAGE_GROUP_BY = ['model', 'day', 'key'] as const;
export type UsageGroupBy = (typeof USAGE_GROUP_BY)[number];

export interface UsageTotals {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
}

export interface UsageGroup extends UsageTotals {
  key: string;
}

export interface UsageSummary {
  object: 'usage';
  tenant: string;
  /** ISO date-time, inclusive. */
  from: string;
  /** ISO date-time, exclusive. */
  to: string;
  group_by: UsageGroupBy | null;
  total: UsageTotals;
  /** Ordered by key; empty without `group_by`. */
  groups: UsageGroup[];
}

export interface UsageRange {
  fromMs: number;
  toMs: number;
}

interface Acc {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_nanos: number;
}

const zero = (): Acc => ({ requests: 0, prompt_tokens: 0, completion_tokens: 0, cost_nanos: 0 });

function add(acc: Acc, r: UsageFigures): void {
  acc.requests += 1;
  acc.prompt_tokens += r.prompt_tokens;
  acc.completion_tokens += r.completion_tokens;
  acc.cost_nanos += r.cost_nanos;
}

function totals(acc: Acc): UsageTotals {
  return {
    requests: acc.requests,
    prompt_tokens: acc.prompt_tokens,
    completion_tokens: acc.completion_tokens,
    cost_usd: acc.cost_nanos / 1_000_000_000,
  };
}

/** The UTC day (`YYYY-MM-DD`) of an epoch ms. */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

function groupKey(r: UsageFigures, by: UsageGroupBy): string {
  switch (by) {
    case 'model':
      return r.model;
    case 'day':
      return utcDay(r.at);
    case 'key':
      return r.key_id;
  }
}

/**
 * Totals of `records` (those in `range` only) and, with `groupBy`, one group per model, day or
 * key, ordered by key. Every record in range counts once, in exactly one group.
 */
export function summarizeUsage(
  tenant: string,
  records: Iterable<UsageFigures>,
  range: UsageRange,
  groupBy?: UsageGroupBy,
): UsageSummary {
  const total = zero();
  const groups = new Map<string, Acc>();
  for (const r of records) {
    if (r.at < range.fromMs || r.at >= range.toMs) continue;
    add(total, r);
    if (groupBy === undefined) continue;
    const key = groupKey(r, groupBy);
    let acc = groups.get(key);
    if (!acc) {
      acc = zero();
      groups.set(key, acc);
    }
    add(acc, r);
  }
  return {
    object: 'usage',
    tenant,
    from: new Date(range.fromMs).toISOString(),
    to: new Date(range.toMs).toISOString(),
    group_by: groupBy ?? null,
    total: totals(total),
    groups: [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, acc]) => ({ key, ...totals(acc) })),
  };
}

/** The longest range one usage request may cover: 366 days. */
export const MAX_USAGE_RANGE_MS = 366 * 86_400_000;
/** The latest instant a range may name (the largest Date). */
const MAX_INSTANT = 8_640_000_000_000_000;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * One bound: epoch ms (digits), an ISO date (its UTC midnight; for `to`, the next one, so the
 * day is included) or an ISO date-time with `Z` or an offset. A 400 naming `param` otherwise.
 */
export function parseUsageInstant(value: string, param: 'from' | 'to'): number {
  const bad = (why: string) =>
    new InvalidRequestError(
      `${param}: ${why}; use epoch milliseconds, an ISO date (2026-11-30) or an ISO date-time (2026-11-30T12:00:00Z).`,
      { param },
    );
  let ms: number;
  if (/^\d{1,16}$/.test(value)) ms = Number(value);
  else if (DATE.test(value)) {
    const [, y, m, d] = DATE.exec(value) as unknown as [string, string, string, string];
    ms = Date.UTC(Number(y), Number(m) - 1, Number(d));
    if (new Date(ms).toISOString().slice(0, 10) !== value) throw bad(`"${value}" is not a calendar date`);
    if (param === 'to') ms += 86_400_000;
  } else if (DATE_TIME.test(value)) {
    ms = Date.parse(value);
    if (Number.isNaN(ms)) throw bad(`"${value}" is not a valid date-time`);
  } else {
    throw bad(`"${value.slice(0, 64)}" is not a date`);
  }
  if (ms > MAX_INSTANT) throw bad('out of range');
  return ms;
}

export interface UsageQuery {
  range: UsageRange;
  groupBy?: UsageGroupBy;
}

/**
 * The usage routes' query: `from` (default: the start of the current UTC month), `to` (default:
 * now, exclusive), `group_by` (model, day or key). `to` must come after `from`, and the range may
 * cover at most 366 days.
 */
export function parseUsageQuery(query: Readonly<Record<string, string>>, now: number): UsageQuery {
  const d = new Date(now);
  const fromMs =
    query.from !== undefined
      ? parseUsageInstant(query.from, 'from')
      : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const toMs = query.to !== undefined ? parseUsageInstant(query.to, 'to') : now + 1;
  if (toMs <= fromMs) {
    throw new InvalidRequestError(
      `to (${new Date(toMs).toISOString()}) must be later than from (${new Date(fromMs).toISOString()}).`,
      { param: 'to' },
    );
  }
  if (toMs - fromMs > MAX_USAGE_RANGE_MS) {
    throw new InvalidRequestError('The range from..to may cover at most 366 days; ask for it in parts.', {
      param: 'to',
    });
  }
  const by = query.group_by;
  if (by !== undefined && !(USAGE_GROUP_BY as readonly string[]).includes(by)) {
    throw new InvalidRequestError(
      `group_by must be one of ${USAGE_GROUP_BY.join(', ')}; got "${by.slice(0, 64)}".`,
      { param: 'group_by' },
    );
  }
  return { range: { fromMs, toMs }, ...(by !== undefined ? { groupBy: by as UsageGroupBy } : {}) };
}
