// UsageStore in memory (unit tests, simulations): the same semantics as the DynamoDB store,
// put-once by (tenant, request_id, at) and half-open time ranges.
import type { UsageRecord, UsageStore } from '@switchyard/core';
import { assertUsageRange, byTime, validUsageRecord } from './usage.shared.ts';

export class MemoryUsageStore implements UsageStore {
  readonly #records = new Map<string, UsageRecord>();

  async put(record: UsageRecord): Promise<void> {
    const valid = validUsageRecord(record);
    const key = JSON.stringify([valid.tenant, valid.at, valid.request_id]);
    if (!this.#records.has(key)) this.#records.set(key, structuredClone(valid));
  }

  async query(tenant: string, fromMs: number, toMs: number): Promise<UsageRecord[]> {
    assertUsageRange(fromMs, toMs);
    return [...this.#records.values()]
      .filter((r) => r.tenant === tenant && r.at >= fromMs && r.at < toMs)
      .sort(byTime)
      .map((r) => structuredClone(r));
  }

  /** Every record held (tests). */
  all(): UsageRecord[] {
    return [...this.#records.values()].sort(byTime).map((r) => structuredClone(r));
  }
}
