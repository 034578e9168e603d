// `GET /v1/usage?from=&to=&group_by=model|day|key`: the calling consumer's own usage (its tenant
// comes from the authorizer, never from the request), in the admin route's shape. Thin: parse the
// query (core parseUsageQuery: 400 naming from, to or group_by), read the tenant's records, sum
// them (core summarizeUsage).
import { Logger } from '@aws-lambda-powertools/logger';
import { createDocumentClient, DynamoDbUsageStore } from '@switchyard/adapters';
import { httpHandler, parseConfig, requireCaller } from '@switchyard/adapters/lambda';
import { NotFoundError, parseUsageQuery, summarizeUsage, z } from '@switchyard/core';

const config = parseConfig(z.object({ USAGE_TABLE: z.string().min(1) }));
const logger = new Logger({ serviceName: 'switchyard-usage' });
const usage = new DynamoDbUsageStore({ client: createDocumentClient(), tableName: config.USAGE_TABLE });

export const handler = httpHandler(
  async (request) => {
    const caller = requireCaller(request);
    if (`${request.method} ${request.resource}` !== 'GET /v1/usage') {
      throw new NotFoundError(`No route for ${request.method} ${request.path}.`);
    }
    const { range, groupBy } = parseUsageQuery(request.query, Date.now());
    const records = await usage.query(caller.tenant, range.fromMs, range.toMs);
    return { status: 200, body: summarizeUsage(caller.tenant, records, range, groupBy) };
  },
  { logger },
);
