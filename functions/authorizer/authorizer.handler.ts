// API Gateway REQUEST authorizer: the consumer's API key arrives as `Authorization: Bearer <key>`
// (as OpenAI clients send it) or `x-api-key`. The key is looked up by its sha256 hash (keys are
// never stored), and returned as the usage identifier so API Gateway applies the usage plan.
import { Logger } from '@aws-lambda-powertools/logger';
import { createDocumentClient, DynamoDbApiKeyStore, hashApiKey, TtlCache } from '@switchyard/adapters';
import { parseConfig } from '@switchyard/adapters/lambda';
import type { ApiKeyRecord } from '@switchyard/core';
import { z } from '@switchyard/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';

const config = parseConfig(
  z.object({
    API_KEYS_TABLE: z.string().min(1),
    API_KEY_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(60_000),
  }),
);

const logger = new Logger({ serviceName: 'switchyard-authorizer' });
const store = new DynamoDbApiKeyStore({ client: createDocumentClient(), tableName: config.API_KEYS_TABLE });
const cache = new Map<string, TtlCache<ApiKeyRecord | undefined>>();

function lookup(hash: string): Promise<ApiKeyRecord | undefined> {
  let entry = cache.get(hash);
  if (!entry) {
    if (cache.size > 10_000) cache.clear();
    entry = new TtlCache({
      load: () => store.findByHash(hash),
      ttlMs: config.API_KEY_CACHE_TTL_MS,
      now: Date.now,
    });
    cache.set(hash, entry);
  }
  return entry.get();
}

export function apiKeyFrom(headers: Record<string, string | undefined> | null): string | undefined {
  let key: string | undefined;
  for (const [k, v] of Object.entries(headers ?? {})) {
    const name = k.toLowerCase();
    if (name === 'authorization' && v) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(v);
      if (m) key = m[1];
    } else if (name === 'x-api-key' && v && !key) {
      key = v.trim();
    }
  }
  return key && key.length >= 8 && key.length <= 256 ? key : undefined;
}

export const handler = async (
  event: APIGatewayRequestAuthorizerEvent,
): Promise<APIGatewayAuthorizerResult> => {
  const key = apiKeyFrom(event.headers);
  if (!key) throw new Error('Unauthorized');
  const hash = hashApiKey(key);
  const record = await lookup(hash);
  if (!record || record.disabled || record.role !== 'consumer') {
    logger.info('rejected api key', { key_id: hash.slice(0, 12) });
    throw new Error('Unauthorized');
  }
  // arn:aws:execute-api:region:account:apiId/stage/METHOD/path -> allow this API's stage only.
  const [arnPrefix, stage] = event.methodArn.split('/') as [string, string];
  return {
    principalId: record.tenant,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${arnPrefix}/${stage}/*/v1/*` },
      ],
    },
    context: {
      tenant: record.tenant,
      role: record.role,
      key_id: hash.slice(0, 12),
      allowed_models: (record.allowed_models ?? []).join(','),
    },
    usageIdentifierKey: key,
  };
};
