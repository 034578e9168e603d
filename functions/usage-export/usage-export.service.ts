// The daily usage export, over ports: for the day (yesterday by default, or the event's `day`),
// every tenant's records as JSON-lines parts (core usage-export.ts), then the day's manifest,
// written last. Re-running a day overwrites the same objects; a tenant with no records writes none.
import type { TenantStore, UsageStore } from '@switchyard/core';
import {
  type ExportManifest,
  previousUtcDay,
  USAGE_EXPORT_PART_RECORDS,
  usageExportManifest,
  usageExportParts,
  utcDayRange,
} from '@switchyard/core';

export interface UsageExportDeps {
  tenants: Pick<TenantStore, 'list'>;
  usage: Pick<UsageStore, 'query'>;
  objects: { put(key: string, body: string, contentType?: string): Promise<void> };
  now: () => number;
  maxPerPart?: number;
}

export async function exportUsageDay(
  deps: UsageExportDeps,
  day = previousUtcDay(deps.now()),
): Promise<ExportManifest> {
  const { fromMs, toMs } = utcDayRange(day);
  const manifest: ExportManifest = { day, records: 0, cost_nanos: 0, tenants: [] };
  for (const { id } of await deps.tenants.list()) {
    const records = await deps.usage.query(id, fromMs, toMs);
    if (records.length === 0) continue;
    const parts = usageExportParts(day, id, records, deps.maxPerPart ?? USAGE_EXPORT_PART_RECORDS);
    for (const p of parts) await deps.objects.put(p.key, p.body);
    const cost = records.reduce((sum, r) => sum + r.cost_nanos, 0);
    manifest.tenants.push({
      tenant: id,
      records: records.length,
      cost_nanos: cost,
      parts: parts.map((p) => p.key),
    });
    manifest.records += records.length;
    manifest.cost_nanos += cost;
  }
  const m = usageExportManifest(manifest);
  await deps.objects.put(m.key, m.body, 'application/json');
  return manifest;
}
