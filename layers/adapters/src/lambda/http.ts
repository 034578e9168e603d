// The HTTP handler wrapper every API function uses: middy with the Powertools logger (request
// ids), JSON body parsing with size and nesting limits, the caller's identity from the
// authorizer, and the one error middleware. Handlers get a parsed request and return a status
// and a body. Headers, query and path parameters are prototype-free maps: a caller's name such
// as `constructor` or `__proto__` is just a name.

import { Readable } from 'node:stream';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse';
import {
  AuthenticationError,
  bodyTooLargeError,
  InvalidRequestError,
  inputProblem,
  MAX_BODY_BYTES,
  MAX_JSON_DEPTH,
  parseRequestJson,
} from '@switchyard/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type * as z from 'zod';
import { openAiErrors } from './errors.middleware.ts';

/** Who is calling, as the authorizer (consumer keys) or IAM (admin) established it. */
export interface Caller {
  tenant: string;
  role: 'consumer' | 'admin';
  key_id?: string;
  allowed_models?: string[];
}

export interface HttpRequest {
  method: string;
  /** The API resource template, e.g. `/v1/jobs/{id}`. */
  resource: string;
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  query: Record<string, string>;
  params: Record<string, string>;
  /** Parsed JSON body (undefined when there is none). */
  body: unknown;
  requestId: string;
  caller: Caller | undefined;
  /** IAM-authorised (SigV4) routes: the signer's ARN (`requestContext.identity.userArn`). */
  principalArn: string | undefined;
  context: Context;
}

export interface HttpResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A streamed body (SSE): its pieces are written as they come (streaming handlers only). */
  stream?: AsyncIterable<string>;
}

export interface HttpHandlerOptions {
  logger: Logger;
  /** Largest accepted body. @default MAX_BODY_BYTES (1 MiB) */
  maxBodyBytes?: number;
  /** Deepest accepted body nesting. @default MAX_JSON_DEPTH (64) */
  maxJsonDepth?: number;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function requestIdOf(event: APIGatewayProxyEvent): string {
  const given = headerValue(event.headers, 'x-request-id');
  return given && REQUEST_ID.test(given) ? given : event.requestContext?.requestId || 'unknown';
}

export function httpHandler(
  fn: (request: HttpRequest) => Promise<HttpResponse>,
  options: HttpHandlerOptions,
): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  const { logger } = options;
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(openAiErrors(logger, requestIdOf))
    .handler(async (event, context) => {
      const { requestId, response } = await serveHttp(fn, event, context, options);
      if (response.stream) throw new Error('a buffered handler cannot stream; use streamingHttpHandler');
      return proxyResult(response, requestId);
    });
}

/** A streamed Lambda proxy answer: status and headers for `HttpResponseStream.from`, then the body. */
export interface StreamedProxyResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string | Readable;
}

/**
 * The same HTTP wrapper for a function behind a STREAM-mode integration: the handler is
 * streamified (middy's `executionModeStreamifyResponse`, Lambda's `awslambda.streamifyResponse`),
 * answers go out with `HttpResponseStream.from` (status and headers first), and a `stream` body is
 * written piece by piece as it is produced. Buffered answers and errors go out whole, the same way.
 * When the client goes away the body is destroyed, which returns its iterator (the producer stops).
 */
export function streamingHttpHandler(
  fn: (request: HttpRequest) => Promise<HttpResponse>,
  options: HttpHandlerOptions,
) {
  const { logger } = options;
  return middy<APIGatewayProxyEvent, StreamedProxyResult>({ executionMode: executionModeStreamifyResponse })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(
      openAiErrors(logger, requestIdOf) as unknown as Parameters<
        ReturnType<typeof middy<APIGatewayProxyEvent, StreamedProxyResult>>['use']
      >[0],
    )
    .handler(async (event, context): Promise<StreamedProxyResult> => {
      const { requestId, response } = await serveHttp(fn, event, context, options);
      if (!response.stream) {
        const result = proxyResult(response, requestId);
        return {
          statusCode: result.statusCode,
          headers: result.headers as Record<string, string>,
          body: result.body,
        };
      }
      return {
        statusCode: response.status,
        headers: { 'x-request-id': requestId, ...(response.headers ?? {}) },
        // objectMode off: strings become bytes; each piece is written as soon as it is read.
        body: Readable.from(response.stream, { objectMode: false }),
      };
    });
}

function proxyResult(response: HttpResponse, requestId: string): APIGatewayProxyResult {
  return {
    statusCode: response.status,
    headers: {
      'content-type': 'application/json',
      'x-request-id': requestId,
      ...(response.headers ?? {}),
    },
    body: response.body === undefined ? '' : JSON.stringify(response.body),
  };
}

/** Parses the event into an HttpRequest and runs `fn` on it. */
async function serveHttp(
  fn: (request: HttpRequest) => Promise<HttpResponse>,
  event: APIGatewayProxyEvent,
  context: Context,
  options: HttpHandlerOptions,
): Promise<{ requestId: string; response: HttpResponse }> {
  const { logger } = options;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const maxJsonDepth = options.maxJsonDepth ?? MAX_JSON_DEPTH;
  const requestId = requestIdOf(event);
  const headers = nameMap();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  const caller = callerOf(event);
  logger.appendKeys({ request_id: requestId, tenant: caller?.tenant });
  const request: HttpRequest = {
    method: event.httpMethod,
    resource: event.resource,
    path: event.path,
    headers,
    query: nonEmpty(event.queryStringParameters),
    params: nonEmpty(event.pathParameters),
    body: parseBody(event, maxBodyBytes, maxJsonDepth),
    requestId,
    caller,
    principalArn: event.requestContext?.identity?.userArn ?? undefined,
    context,
  };
  return { requestId, response: await fn(request) };
}

/** The caller, or a 401 when the route needs one and the authorizer gave none. */
export function requireCaller(request: HttpRequest): Caller {
  if (!request.caller) throw new AuthenticationError();
  return request.caller;
}

function callerOf(event: APIGatewayProxyEvent): Caller | undefined {
  const auth = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
  if (!auth) return undefined;
  if (typeof auth.tenant === 'string') {
    let allowed: string[] | undefined;
    if (typeof auth.allowed_models === 'string' && auth.allowed_models !== '') {
      allowed = auth.allowed_models.split(',');
    }
    return {
      tenant: auth.tenant,
      role: auth.role === 'admin' ? 'admin' : 'consumer',
      ...(typeof auth.key_id === 'string' ? { key_id: auth.key_id } : {}),
      ...(allowed ? { allowed_models: allowed } : {}),
    };
  }
  // IAM-authorised (admin) routes: API Gateway passes the IAM identity, not authorizer context.
  const principal = auth.principalId ?? event.requestContext.identity?.userArn;
  return typeof principal === 'string' ? { tenant: 'admin', role: 'admin', key_id: principal } : undefined;
}

function parseBody(event: APIGatewayProxyEvent, maxBytes: number, maxDepth: number): unknown {
  if (event.body === null || event.body === undefined || event.body === '') return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw) > maxBytes) throw bodyTooLargeError(maxBytes);
  return parseRequestJson(raw, maxDepth);
}

/** A map for names the caller chose: no prototype, so no name reads or writes anything inherited. */
export function nameMap(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

function headerValue(headers: Record<string, string | undefined> | null, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === name) return v;
  return undefined;
}

function nonEmpty(v: Record<string, string | undefined> | null): Record<string, string> {
  const out = nameMap();
  for (const [k, val] of Object.entries(v ?? {})) if (val !== undefined) out[k] = val;
  return out;
}

/** Validates a request body (or any caller input) with a zod schema; a 400 naming the field. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what = 'request body',
): z.infer<S> {
  if (value === undefined) throw new InvalidRequestError(`The ${what} is missing; send a JSON object.`);
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const { param, message } = inputProblem(parsed.error);
  throw new InvalidRequestError(`Invalid ${what}: ${message}`, { param });
}
