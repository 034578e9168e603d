// The authorizer handler as Lambda runs it, against dynalite with the real SDK client and keys
// written by the real store: an enabled consumer key gets an Allow for this stage's /v1 routes,
// its tenant, public key id and allow-list, and its usage id (never the key) as the usage
// identifier; unknown, disabled and admin-role keys are refused; a disable or a new key shows
// once the cache TTL has passed (fake clock: found keys 10 s, unknown keys 5 s).

import { DynamoDbApiKeyStore, issueApiKey } from '@switchyard/adapters';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_AWS, type LocalDynamo, startLocalDynamo } from '../support/local-aws.ts';

type Handler = typeof import('../../functions/authorizer/authorizer.handler.ts')['handler'];

let dynamo: LocalDynamo;
let store: DynamoDbApiKeyStore;
let handler: Handler;
const START = Date.UTC(2026, 10, 1, 12, 0, 0);

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  const table = await dynamo.createTable('apiKeys');
  store = new DynamoDbApiKeyStore({ client: dynamo.client, tableName: table });
  Object.assign(process.env, {
    API_KEYS_TABLE: table,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  // Only Date is faked (the SDK's sockets and timers stay real), before the handler captures it.
  vi.useFakeTimers({ toFake: ['Date'], now: START });
  ({ handler } = await import('../../functions/authorizer/authorizer.handler.ts'));
});
afterAll(async () => {
  vi.useRealTimers();
  await dynamo.stop();
});

const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/v1/chat/completions';

function event(headers: Record<string, string>): APIGatewayRequestAuthorizerEvent {
  return { type: 'REQUEST', methodArn: METHOD_ARN, headers } as unknown as APIGatewayRequestAuthorizerEvent;
}

async function newKey(options: Partial<Parameters<typeof issueApiKey>[0]> = {}) {
  const issued = issueApiKey({ tenant: 'acme', name: 'test', now: 1, ...options });
  await store.put(issued.record);
  return issued;
}

const refused = (p: Promise<unknown>) => expect(p).rejects.toThrow(/^Unauthorized$/);

describe('authorizer handler', () => {
  it('allows an enabled consumer key: tenant, key id, allow-list, usage id (not the key)', async () => {
    const { key, record } = await newKey({ allowed_models: ['llama-3-8b', 'support-llm'] });
    const result = await handler(event({ Authorization: `Bearer ${key}` }));
    expect(result).toEqual({
      principalId: 'acme',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Resource: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*/v1/*',
          },
        ],
      },
      context: {
        tenant: 'acme',
        role: 'consumer',
        key_id: record.key_id,
        allowed_models: 'llama-3-8b,support-llm',
      },
      usageIdentifierKey: record.usage_id,
    });
    expect(result.usageIdentifierKey).not.toBe(key);
    expect(JSON.stringify(result)).not.toContain(key);
    expect(JSON.stringify(result)).not.toContain(record.key_hash);
  });

  it('takes the key from x-api-key too; no allow-list is an empty context value', async () => {
    const { key, record } = await newKey({ tenant: 'beta' });
    const result = await handler(event({ 'X-Api-Key': key }));
    expect(result.principalId).toBe('beta');
    expect(result.context).toEqual({
      tenant: 'beta',
      role: 'consumer',
      key_id: record.key_id,
      allowed_models: '',
    });
  });

  it('refuses a missing, malformed or unknown key', async () => {
    await refused(handler(event({})));
    await refused(handler(event({ Authorization: 'Basic abc:def' })));
    await refused(handler(event({ Authorization: 'Bearer short' })));
    await refused(handler(event({ Authorization: `Bearer sk-sy-${'x'.repeat(43)}` })));
  });

  it('refuses a disabled key and an admin-role key', async () => {
    const disabled = await newKey();
    await store.disable(disabled.record.key_hash);
    await refused(handler(event({ Authorization: `Bearer ${disabled.key}` })));
    const admin = await newKey({ role: 'admin' });
    await refused(handler(event({ Authorization: `Bearer ${admin.key}` })));
  });

  it('a disabled key keeps working until 10 s after it was read, not a millisecond longer', async () => {
    const { key, record } = await newKey();
    const bearer = event({ Authorization: `Bearer ${key}` });
    vi.setSystemTime(START + 100_000);
    expect((await handler(bearer)).principalId).toBe('acme');
    await store.disable(record.key_hash);
    vi.setSystemTime(START + 100_000 + 9_999);
    expect((await handler(bearer)).principalId).toBe('acme');
    vi.setSystemTime(START + 100_000 + 10_000);
    await refused(handler(bearer));
  });

  it('a key unknown at first works 5 s after the miss, not before', async () => {
    const issued = issueApiKey({ tenant: 'late', name: 'n', now: 1 });
    const bearer = event({ Authorization: `Bearer ${issued.key}` });
    vi.setSystemTime(START + 200_000);
    await refused(handler(bearer));
    await store.put(issued.record);
    vi.setSystemTime(START + 200_000 + 4_999);
    await refused(handler(bearer));
    vi.setSystemTime(START + 200_000 + 5_000);
    expect((await handler(bearer)).principalId).toBe('late');
  });
});
