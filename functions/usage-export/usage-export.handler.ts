// Scheduled daily (EventBridge): exports the previous UTC day's usage records to S3 as JSON lines
// partitioned by day (`usage/dt=YYYY-MM-DD/part-<tenant>-<n>.jsonl` and `_manifest.json`) for
// billing systems. An event `{"day":"2026-11-30"}` exports that day instead (backfills). Thin:
// wiring; the work is in usage-export.service.ts and the core.
import { Logger } from '@aws-lambda-powertools/logger';
import {
  createDocumentClient,
  createS3Client,
  DynamoDbTenantStore,
  DynamoDbUsageStore,
  S3ObjectWriter,
} from '@switchyard/adapters';
import { parseConfig } from '@switchyard/adapters/lambda';
import { z } from '@switchyard/core';
import { exportUsageDay } from './usage-export.service.ts';

const config = parseConfig(
  z.object({
    TENANTS_TABLE: z.string().min(1),
    USAGE_TABLE: z.string().min(1),
    USAGE_EXPORT_BUCKET: z.string().min(1),
    /** Local S3 servers on a bare host:port need path-style addressing. */
    S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
  }),
);
const logger = new Logger({ serviceName: 'switchyard-usage-export' });
const ddb = createDocumentClient();
const deps = {
  tenants: new DynamoDbTenantStore({ client: ddb, tableName: config.TENANTS_TABLE }),
  usage: new DynamoDbUsageStore({ client: ddb, tableName: config.USAGE_TABLE }),
  objects: new S3ObjectWriter({
    client: createS3Client({ forcePathStyle: config.S3_FORCE_PATH_STYLE === 'true' }),
    bucket: config.USAGE_EXPORT_BUCKET,
  }),
  now: Date.now,
};

const EventSchema = z
  .object({
    day: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .optional(),
  })
  .passthrough();

export const handler = async (event: unknown): Promise<{ day: string; records: number; tenants: number }> => {
  const parsed = EventSchema.safeParse(event ?? {});
  const manifest = await exportUsageDay(deps, parsed.success ? parsed.data.day : undefined);
  logger.info('exported usage', {
    day: manifest.day,
    records: manifest.records,
    tenants: manifest.tenants.length,
  });
  return { day: manifest.day, records: manifest.records, tenants: manifest.tenants.length };
};
