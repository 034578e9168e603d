// API Gateway REQUEST authorizer: the consumer's API key arrives as `Authorization: Bearer <key>`
// (as OpenAI clients send it) or `x-api-key`. The key is looked up by its sha256 hash (keys are
// never stored); an enabled consumer key answers with the tenant, its public key id and model
// allow-list, and the key's random usage identifier (never the key) for the usage plan.
// Lookups are cached in memory (api-keys.cached.ts): a disabled key stops working within
// API_KEY_CACHE_TTL_MS; API Gateway's own result cache is off (see the consumer API construct).
import { Logger } from '@aws-lambda-powertools/logger';
import {
  API_KEY_CACHE_TTL_MS,
  API_KEY_NEGATIVE_CACHE_TTL_MS,
  CachedApiKeyStore,
  createDocumentClient,
  DynamoDbApiKeyStore,
  hashApiKey,
} from '@switchyard/adapters';
import { parseConfig } from '@switchyard/adapters/lambda';
import { z } from '@switchyard/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';

const config = parseConfig(
  z.object({
    API_KEYS_TABLE: z.string().min(1),
    /** How long a found key is trusted: the longest a disabled key keeps working. */
    API_KEY_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(API_KEY_CACHE_TTL_MS),
    /** How long "no such key" is trusted: the longest a new key may be refused after a miss. */
    API_KEY_NEGATIVE_CACHE_TTL_MS: z.coerce
      .number()
      .int()
      .nonnegative()
      .default(API_KEY_NEGATIVE_CACHE_TTL_MS),
  }),
);

const logger = new Logger({ serviceName: 'switchyard-authorizer' });
const keys = new CachedApiKeyStore({
  source: new DynamoDbApiKeyStore({ client: createDocumentClient(), tableName: config.API_KEYS_TABLE }),
  ttlMs: config.API_KEY_CACHE_TTL_MS,
  negativeTtlMs: config.API_KEY_NEGATIVE_CACHE_TTL_MS,
  now: Date.now,
});

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
  const record = await keys.findByHash(hashApiKey(key));
  if (!record || record.disabled || record.role !== 'consumer') {
    logger.info('rejected api key', {
      key_id: record?.key_id ?? null,
      reason: !record ? 'unknown' : record.disabled ? 'disabled' : 'not a consumer key',
    });
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
      key_id: record.key_id,
      allowed_models: (record.allowed_models ?? []).join(','),
    },
    usageIdentifierKey: record.usage_id,
  };
};
