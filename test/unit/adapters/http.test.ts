// The HTTP wrapper every API function uses, on Lambda proxy events: names that are
// Object.prototype keys in headers, query and path parameters are ordinary names; a body is
// refused at exactly one byte over the size limit (413) and one level over the depth limit
// (400), both naming the limit; zod problems come back with the param that names the field.
import { Logger } from '@aws-lambda-powertools/logger';
import { type HttpRequest, httpHandler, parseInput } from '@switchyard/adapters/lambda';
import { z } from '@switchyard/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';

const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const context = {
  awsRequestId: 'aws-1',
  functionName: 'fn',
  getRemainingTimeInMillis: () => 1000,
} as Context;

let seen: HttpRequest | undefined;
const handler = httpHandler(
  async (request) => {
    seen = request;
    return { status: 200, body: { ok: true } };
  },
  { logger, maxBodyBytes: 100 },
);

/** A proxy event as the Lambda runtime hands it over: JSON-parsed, so `__proto__` is an own key. */
function event(over: Record<string, unknown> = {}): APIGatewayProxyEvent {
  return JSON.parse(
    JSON.stringify({
      httpMethod: 'POST',
      resource: '/v1/things/{id}',
      path: '/v1/things/x',
      headers: {},
      queryStringParameters: null,
      pathParameters: null,
      body: null,
      isBase64Encoded: false,
      requestContext: { requestId: 'req-1' },
      ...over,
    }),
  ) as APIGatewayProxyEvent;
}

const PROTO_NAMES = '{"constructor":"a","__proto__":"b","toString":"c","hasOwnProperty":"d","valueOf":"e"}';

describe('names the caller chose', () => {
  it('arrive as own keys of prototype-free maps, in headers, query and path parameters', async () => {
    const raw = event();
    Object.assign(raw, {
      headers: JSON.parse(PROTO_NAMES),
      queryStringParameters: JSON.parse(PROTO_NAMES),
      pathParameters: JSON.parse(PROTO_NAMES),
    });
    const res = await handler(raw, context);
    expect(res.statusCode).toBe(200);
    const request = seen as HttpRequest;
    for (const map of [request.headers, request.query, request.params]) {
      expect(Object.getPrototypeOf(map)).toBeNull();
    }
    // Header names are lower-cased; query and path parameter names keep their case.
    expect(Object.keys(request.headers).sort()).toEqual([
      '__proto__',
      'constructor',
      'hasownproperty',
      'tostring',
      'valueof',
    ]);
    for (const map of [request.query, request.params]) {
      expect(Object.keys(map).sort()).toEqual([
        '__proto__',
        'constructor',
        'hasOwnProperty',
        'toString',
        'valueOf',
      ]);
    }
    const own = (map: Record<string, string>, name: string) =>
      Object.getOwnPropertyDescriptor(map, name)?.value;
    expect(request.headers.constructor).toBe('a');
    expect(own(request.headers, '__proto__')).toBe('b');
    expect(request.headers.tostring).toBe('c');
    expect(request.query.toString).toBe('c');
    expect(request.query.hasOwnProperty).toBe('d');
    expect(own(request.params, '__proto__')).toBe('b');
    // A name the caller did not send reads as absent, not as Object.prototype's member.
    expect(request.params.isPrototypeOf).toBeUndefined();
    expect(request.headers['if-match']).toBeUndefined();
  });
});

describe('body limits', () => {
  const status = async (body: string) => (await handler(event({ body }), context)).statusCode;

  it('takes a body of exactly the size limit and refuses one byte more with a 413 naming it', async () => {
    const fits = JSON.stringify({ pad: 'x'.repeat(100 - 10) });
    expect(Buffer.byteLength(fits)).toBe(100);
    expect(await status(fits)).toBe(200);
    const over = JSON.stringify({ pad: 'x'.repeat(100 - 9) });
    const res = await handler(event({ body: over }), context);
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(res.body)).toEqual({
      error: {
        message: 'The request body is larger than 100 bytes, the limit for this route.',
        type: 'invalid_request_error',
        param: null,
        code: 'payload_too_large',
      },
    });
  });

  it('counts bytes, not characters', async () => {
    expect(await status(JSON.stringify({ p: 'é'.repeat(45) }))).toBe(200); // 8 + 90 = 98 bytes
    expect(await status(JSON.stringify({ p: 'é'.repeat(47) }))).toBe(413); // 102 bytes
  });

  it('takes 64 levels of nesting and refuses 65 with a 400 naming the limit', async () => {
    const deep = httpHandler(async () => ({ status: 200 }), { logger });
    const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    expect((await deep(event({ body: nested(64) }), context)).statusCode).toBe(200);
    const res = await deep(event({ body: nested(65) }), context);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error).toMatchObject({
      message: 'The request body is nested more than 64 levels deep (the limit is 64); flatten it.',
      code: 'json_too_deep',
    });
    expect((await deep(event({ body: nested(100_000) }), context)).statusCode).toBe(400);
  });
});

describe('parseInput', () => {
  it('names the field a union failed on', () => {
    const schema = z.object({ items: z.array(z.union([z.string(), z.object({ id: z.number() })])) });
    expect(() => parseInput(schema, { items: ['a', { id: 'x' }] })).toThrow(
      expect.objectContaining({
        param: 'items.1.id',
        message: expect.stringMatching(/^Invalid request body: items\.1\.id: /),
      }),
    );
  });
});
