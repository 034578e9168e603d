// The daily usage export (pure): a day's usage records as JSON lines for billing systems, one
// object per tenant and part under `usage/dt=<YYYY-MM-DD>/part-<tenant>-<nnnnn>.jsonl` (records
// ordered by time, at most `maxPerPart` lines each), and a `_manifest.json` that says what the day
// holds. Names depend only on the day, the tenant and the record order, so exporting a day again
// overwrites the same objects: a re-run never duplicates a record.
import type { UsageRecord } from './usage-record.ts';

export const USAGE_EXPORT_PREFIX = 'usage';
/** Lines per part object. */
export const USAGE_EXPORT_PART_RECORDS = 50_000;

export interface ExportObject {
  key: string;
  body: string;
}

/** The UTC day before `now` (what the nightly run exports): `YYYY-MM-DD`. */
export function previousUtcDay(now: number): string {
  return new Date(Math.floor(now / 86_400_000) * 86_400_000 - 86_400_000).toISOString().slice(0, 10);
}

/** [start, end) epoch ms of a `YYYY-MM-DD` UTC day; throws on anything else. */
export function utcDayRange(day: string): { fromMs: number; toMs: number } {
  const fromMs = Date.parse(`${day}T00:00:00.000Z`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(day) ||
    Number.isNaN(fromMs) ||
    new Date(fromMs).toISOString().slice(0, 10) !== day
  ) {
    throw new RangeError(`not a UTC day: ${JSON.stringify(day)}`);
  }
  return { fromMs, toMs: fromMs + 86_400_000 };
}

export function usageExportPrefix(day: string): string {
  return `${USAGE_EXPORT_PREFIX}/dt=${day}/`;
}

/** One tenant's records of `day` as part objects (none for no records). */
export function usageExportParts(
  day: string,
  tenant: string,
  records: readonly UsageRecord[],
  maxPerPart = USAGE_EXPORT_PART_RECORDS,
): ExportObject[] {
  const out: ExportObject[] = [];
  for (let i = 0, part = 0; i < records.length; i += maxPerPart, part++) {
    const lines = records.slice(i, i + maxPerPart).map((r) => `${JSON.stringify(r)}\n`);
    out.push({
      key: `${usageExportPrefix(day)}part-${tenant}-${String(part).padStart(5, '0')}.jsonl`,
      body: lines.join(''),
    });
  }
  return out;
}

export interface ExportManifest {
  day: string;
  records: number;
  cost_nanos: number;
  tenants: Array<{ tenant: string; records: number; cost_nanos: number; parts: string[] }>;
}

/** `_manifest.json` of a day: written last, so a reader that finds it finds every part. */
export function usageExportManifest(manifest: ExportManifest): ExportObject {
  return { key: `${usageExportPrefix(manifest.day)}_manifest.json`, body: `${JSON.stringify(manifest)}\n` };
}
