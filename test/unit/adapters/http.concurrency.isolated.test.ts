// Log context under concurrent invocations in one process (Lambda Managed Instances): the
// runtime sets AWS_LAMBDA_MAX_CONCURRENCY and runs each invocation inside its InvokeStore (an
// AsyncLocalStorage); the HTTP wrapper's per-request keys (request_id, tenant) and the Lambda
// context then belong to the invocation that set them, so interleaved invocations never log
// each other's request id. Without the invocation scope (standard Lambda: one at a time), the
// same keys are the logger's shared state, which the second invocation overwrites (shown last).

import { InvokeStore } from '@aws/lambda-invoke-store';
import { Logger } from '@aws-lambda-powertools/logger';
import { httpHandler } from '@switchyard/adapters/lambda';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

function event(requestId: string, tenant: string): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    resource: '/v1/chat/completions',
    path: '/v1/chat/completions',
    headers: {},
    queryStringParameters: null,
    pathParameters: null,
    body: '{}',
    isBase64Encoded: false,
    requestContext: { requestId, authorizer: { tenant, role: 'consumer' } },
  } as unknown as APIGatewayProxyEvent;
}

const context = (id: string) =>
  ({ awsRequestId: id, functionName: 'router', getRemainingTimeInMillis: () => 1000 }) as Context;

/** Two invocations whose handlers log before and after yielding to each other. */
function interleaved(logger: Logger) {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const handler = httpHandler(
    async (request) => {
      logger.info('start');
      if (request.requestId === 'req-A') await gate;
      else release();
      logger.info('end');
      return { status: 200, body: { id: request.requestId } };
    },
    { logger },
  );
  return handler;
}

let lines: Array<Record<string, unknown>>;
beforeEach(() => {
  lines = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const l of String(chunk).split('\n')) if (l.trim().startsWith('{')) lines.push(JSON.parse(l));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const byMessage = () =>
  lines.map(
    (l) =>
      `${String(l.message)} ${String(l.request_id)} ${String(l.tenant)} ${String(l.function_request_id)}`,
  );

describe('per-request log context, two invocations at once in one process', () => {
  it('each line carries its own invocation’s request id, tenant and Lambda request id', async () => {
    vi.stubEnv('AWS_LAMBDA_MAX_CONCURRENCY', '64');
    const store = await InvokeStore.getInstanceAsync(true);
    const logger = new Logger({ serviceName: 'router', logLevel: 'INFO' });
    const handler = interleaved(logger);
    const run = (id: string, tenant: string) =>
      store.run({ [Symbol.for('_AWS_LAMBDA_REQUEST_ID')]: `aws-${id}` }, () =>
        handler(event(id, tenant), context(`aws-${id}`)),
      );
    const answers = await Promise.all([run('req-A', 'acme'), run('req-B', 'globex')]);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200]);
    expect(byMessage()).toEqual([
      'start req-A acme aws-req-A',
      'start req-B globex aws-req-B',
      'end req-B globex aws-req-B',
      'end req-A acme aws-req-A',
    ]);
  });

  it('without the invocation scope the keys are shared: the later invocation’s overwrite the earlier’s', async () => {
    const logger = new Logger({ serviceName: 'router', logLevel: 'INFO' });
    const handler = interleaved(logger);
    await Promise.all([
      handler(event('req-A', 'acme'), context('aws-req-A')),
      handler(event('req-B', 'globex'), context('aws-req-B')),
    ]);
    expect(byMessage()).toEqual([
      'start req-A acme aws-req-A',
      'start req-B globex aws-req-B',
      'end req-B globex aws-req-B',
      'end req-B globex aws-req-B',
    ]);
  });
});
