// The local API Gateway emulation over real HTTP: paths matched as sent (`//host/...`, empty and
// dot segments match nothing), path parameters decoded once (malformed escapes are a 404, never
// a 500), header and query names that are Object.prototype keys passed on as names, unknown
// routes and methods answered 404 "Invalid URL" in the OpenAI shape, API Gateway's body limit at
// its exact boundary (declared and chunked), and each response header sent once.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_ERRORS, openAiErrorTemplate } from '../../infra/constructs/consumer-api.construct.ts';
import { type ApiModel, type GatewayResponseSpec, LocalApiGateway } from '../../infra/local/api-gateway.ts';
import type { LocalLambdaRuntime } from '../../infra/local/lambda-runtime.ts';

interface SeenEvent {
  path: string;
  resource: string;
  pathParameters: Record<string, string> | null;
  headers: Record<string, string>;
  queryStringParameters: Record<string, string> | null;
  body: string | null;
}

const events: SeenEvent[] = [];
const runtime = {
  invoke: async (_fn: string, event: SeenEvent) => {
    events.push(JSON.parse(JSON.stringify(event)) as SeenEvent);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
  },
} as unknown as LocalLambdaRuntime;

/** The gateway responses as the template gives them (the construct's own definitions). */
const gatewayResponses = new Map<string, GatewayResponseSpec>(
  GATEWAY_ERRORS.map((e) => [
    e.type.responseType,
    {
      statusCode: Number(e.statusCode ?? (e.type.responseType === 'DEFAULT_5XX' ? 500 : 400)),
      template: openAiErrorTemplate(e),
      headers: Object.fromEntries(
        Object.entries(e.headers ?? {}).map(([k, v]) => [k, v.replace(/^'(.*)'$/, '$1')]),
      ),
    },
  ]),
);

const model: ApiModel = {
  stage: 'prod',
  apiKeySource: 'HEADER',
  routes: [
    { method: 'GET', resource: '/v1/models', functionLogicalId: 'Fn', auth: 'NONE', apiKeyRequired: false },
    {
      method: 'POST',
      resource: '/v1/chat/completions',
      functionLogicalId: 'Fn',
      auth: 'NONE',
      apiKeyRequired: false,
    },
    {
      method: 'GET',
      resource: '/v1/jobs/{id}',
      functionLogicalId: 'Fn',
      auth: 'NONE',
      apiKeyRequired: false,
    },
    { method: 'GET', resource: '/v1/metered', functionLogicalId: 'Fn', auth: 'NONE', apiKeyRequired: true },
  ],
  throttle: { rateLimit: 1, burstLimit: 1 },
  gatewayResponses,
};

let server: Server;
let port: number;

beforeAll(async () => {
  const gateway = new LocalApiGateway(model, runtime, {
    adminKey: 'admin',
    adminIdentityArn: 'arn:aws:sts::000000000000:assumed-role/SwitchyardAdmin/local',
    isRegisteredKey: (k) => k === 'key-1',
    maxBodyBytes: 100,
    now: () => 1_000,
  });
  server = createServer((req, res) => void gateway.serve(req, res));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((ok) => server.close(() => ok()));
});

interface Raw {
  status: number;
  rawHeaders: string[];
  body: string;
}

/** A request with the path exactly as given (no client-side normalisation). */
function send(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string; chunked?: boolean } = {},
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          rawHeaders: res.rawHeaders,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    if (options.body !== undefined) {
      if (!options.chunked) req.setHeader('content-length', Buffer.byteLength(options.body));
      req.write(options.body);
    }
    req.end();
  });
}

const invalidUrl = (method: string, path: string) => ({
  error: {
    message: `Invalid URL (${method} ${path})`,
    type: 'invalid_request_error',
    param: null,
    code: null,
  },
});

describe('paths, as API Gateway matches them', () => {
  it.each([
    '//evil/v1/models',
    '//v1/models',
    '/v1//models',
    '/v1/./models',
    '/v1/x/../models',
    '/v1/models/',
    '/V1/models',
  ])('%s matches no route: 404 Invalid URL', async (path) => {
    const res = await send('GET', path);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toEqual(invalidUrl('GET', path));
  });

  it('serves the exact path', async () => {
    expect((await send('GET', '/v1/models')).status).toBe(200);
  });

  it('answers an unknown route and a wrong method like OpenAI: 404 Invalid URL', async () => {
    const unknown = await send('POST', '/v1/xyz', { body: '{}' });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toEqual(invalidUrl('POST', '/v1/xyz'));
    const wrongMethod = await send('GET', '/v1/chat/completions');
    expect(JSON.parse(wrongMethod.body)).toEqual(invalidUrl('GET', '/v1/chat/completions'));
  });

  it('keeps its own answer valid JSON whatever the path holds', async () => {
    const res = await send('GET', '/v1/"quoted"\\');
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toEqual(invalidUrl('GET', '/v1/"quoted"\\'));
  });
});

describe('path parameters', () => {
  it.each([
    ['/v1/jobs/job_1', 'job_1'],
    ['/v1/jobs/%25', '%'],
    ['/v1/jobs/a%2Fb', 'a/b'],
    ['/v1/jobs/a%20b', 'a b'],
    ['/v1/jobs/%E2%82%AC', '€'],
    ['/v1/jobs/..', '..'],
  ])('%s: decoded once to %j', async (path, id) => {
    events.length = 0;
    expect((await send('GET', path)).status).toBe(200);
    expect(events[0]?.pathParameters).toEqual({ id });
    expect(events[0]?.path).toBe(path);
    expect(events[0]?.resource).toBe('/v1/jobs/{id}');
  });

  it.each(['/v1/jobs/%ZZ', '/v1/jobs/%', '/v1/jobs/%E2%82', '/v1/jobs/'])(
    '%s: a malformed or empty parameter is a 404, not a 500',
    async (path) => {
      const res = await send('GET', path);
      expect(res.status).toBe(404);
      expect(JSON.parse(res.body)).toEqual(invalidUrl('GET', path));
    },
  );
});

describe('names that are Object.prototype keys', () => {
  it('pass through headers and the query string as plain names', async () => {
    events.length = 0;
    const res = await send(
      'GET',
      '/v1/models?toString=1&__proto__=2&constructor=3&hasOwnProperty=4&valueOf=5',
      {
        headers: JSON.parse('{"constructor":"a","__proto__":"b","tostring":"c","hasownproperty":"d"}'),
      },
    );
    expect(res.status).toBe(200);
    const seen = events[0] as SeenEvent;
    expect(seen.queryStringParameters).toEqual(
      JSON.parse('{"toString":"1","__proto__":"2","constructor":"3","hasOwnProperty":"4","valueOf":"5"}'),
    );
    expect(seen.headers).toMatchObject(
      JSON.parse('{"constructor":"a","__proto__":"b","tostring":"c","hasownproperty":"d"}'),
    );
  });
});

describe("API Gateway's body limit", () => {
  const tooLarge = {
    error: {
      message:
        "The request body is larger than API Gateway's 10 MB limit; this API accepts at most 1048576 bytes (1 MiB).",
      type: 'invalid_request_error',
      param: null,
      code: 'payload_too_large',
    },
  };

  it('takes exactly the limit and refuses one byte more, declared or chunked', async () => {
    expect((await send('POST', '/v1/chat/completions', { body: 'x'.repeat(100) })).status).toBe(200);
    const declared = await send('POST', '/v1/chat/completions', { body: 'x'.repeat(101) });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toEqual(tooLarge);
    expect(
      (await send('POST', '/v1/chat/completions', { body: 'x'.repeat(100), chunked: true })).status,
    ).toBe(200);
    const chunked = await send('POST', '/v1/chat/completions', { body: 'x'.repeat(101), chunked: true });
    expect(chunked.status).toBe(413);
  });
});

describe('response headers', () => {
  it('sends Retry-After once on a throttled request', async () => {
    const headers = { 'x-api-key': 'key-1' };
    expect((await send('GET', '/v1/metered', { headers })).status).toBe(200);
    const throttled = await send('GET', '/v1/metered', { headers });
    expect(throttled.status).toBe(429);
    const names = throttled.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    expect(names.filter((n) => n === 'retry-after')).toEqual(['retry-after']);
    expect(
      throttled.rawHeaders[throttled.rawHeaders.findIndex((n) => n.toLowerCase() === 'retry-after') + 1],
    ).toBe('1');
    expect(new Set(names).size).toBe(names.length);
  });
});
