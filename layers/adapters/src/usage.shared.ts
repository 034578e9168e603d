// What both UsageStore implementations share: validating a record before it is stored, the
// range check of a query, the order records come back in, and the shard of a request id.
import { MAX_USAGE_AT, type UsageRecord, UsageRecordSchema } from '@switchyard/core';

/** A record as stored: parsed (unknown fields dropped), or a TypeError naming what is wrong. */
export function validUsageRecord(record: UsageRecord): UsageRecord {
  const parsed = UsageRecordSchema.safeParse(record);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TypeError(`usage record ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export function assertUsageRange(fromMs: number, toMs: number): void {
  for (const [name, v] of [
    ['fromMs', fromMs],
    ['toMs', toMs],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0 || v > MAX_USAGE_AT + 1) {
      throw new RangeError(`usage query ${name} must be an epoch ms integer, got ${v}`);
    }
  }
}

/** Ascending by `at`, then `request_id`. */
export function byTime(a: UsageRecord, b: UsageRecord): number {
  return a.at - b.at || (a.request_id < b.request_id ? -1 : a.request_id > b.request_id ? 1 : 0);
}

/** FNV-1a (32 bit) of `s`, modulo `shards`: a stable spread of request ids over partitions. */
export function usageShard(s: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}
