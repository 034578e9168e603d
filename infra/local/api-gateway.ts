// API Gateway (REST) emulation for the local stack: the routes, authorizer, API-key usage plans
// (one per tier; a key's plan's limits apply) and gateway responses come from the synthesized template; requests become Lambda proxy events
// for the same handlers that run in AWS, and their results become HTTP responses. Paths are
// matched as API Gateway matches them: segment by segment as sent, with no merging of `//` and no
// resolving of `.` or `..`; path parameters are percent-decoded once (a malformed escape matches
// nothing); header and query names are keys of prototype-free maps. The web ACL the template
// associates with the stage runs first, as WAF does in AWS. STREAM-mode integrations
// (`ResponseTransferMode: STREAM`) invoke their function with response streaming and pass its bytes
// on as they come (no buffering, no content-length): the HTTP prelude sets status and headers, the
// integration timeout bounds the whole stream, and a client that goes away ends the invocation's
// stream (the function's writes fail, as in Lambda).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { CfnResolver, CfnStack } from './cfn.ts';
import { findGetAttArn, referencedId, resourcesOfType } from './cfn.ts';
import { HTTP_PRELUDE_DELIMITER, type LocalLambdaRuntime } from './lambda-runtime.ts';
import type { LocalWebAcl } from './waf.ts';

export type AuthType = 'NONE' | 'CUSTOM' | 'AWS_IAM';

export interface ApiRoute {
  method: string;
  /** Resource path with `{param}` / `{proxy+}` segments, e.g. `/v1/jobs/{id}`. */
  resource: string;
  functionLogicalId: string;
  auth: AuthType;
  apiKeyRequired: boolean;
  /** The integration's response transfer mode. @default 'BUFFERED' */
  transfer?: 'BUFFERED' | 'STREAM';
  /** The integration's own timeout (`TimeoutInMillis`), when it sets one. */
  timeoutMs?: number;
}

export interface GatewayResponseSpec {
  statusCode: number;
  template?: string;
  headers: Record<string, string>;
}

export interface ApiModel {
  stage: string;
  apiKeySource: 'HEADER' | 'AUTHORIZER';
  routes: ApiRoute[];
  authorizerFunctionLogicalId?: string;
  throttle?: { rateLimit: number; burstLimit: number };
  quota?: { limit: number; period: 'DAY' | 'WEEK' | 'MONTH' };
  /** Every usage plan by logical id (one per tier), with its limits; `throttle`/`quota` are the first's. */
  usagePlans?: Record<string, UsagePlanLimits>;
  gatewayResponses: Map<string, GatewayResponseSpec>;
}

export interface UsagePlanLimits {
  name?: string;
  throttle?: { rateLimit: number; burstLimit: number };
  quota?: { limit: number; period: 'DAY' | 'WEEK' | 'MONTH' };
}

function planLimits(props: Record<string, unknown>): UsagePlanLimits {
  const throttle = props.Throttle as { RateLimit?: number; BurstLimit?: number } | undefined;
  const quota = props.Quota as { Limit?: number; Period?: 'DAY' | 'WEEK' | 'MONTH' } | undefined;
  return {
    ...(typeof props.UsagePlanName === 'string' ? { name: props.UsagePlanName } : {}),
    ...(throttle?.RateLimit !== undefined
      ? { throttle: { rateLimit: throttle.RateLimit, burstLimit: throttle.BurstLimit ?? throttle.RateLimit } }
      : {}),
    ...(quota?.Limit !== undefined ? { quota: { limit: quota.Limit, period: quota.Period ?? 'MONTH' } } : {}),
  };
}

/** Reads the REST API out of the synthesized stacks. */
export function apiModelFromTemplate(stacks: readonly CfnStack[], resolver: CfnResolver): ApiModel {
  const apis = resourcesOfType(stacks, 'AWS::ApiGateway::RestApi');
  const api = apis[0];
  if (!api || apis.length > 1) throw new Error(`local stack: expected one REST API, found ${apis.length}`);
  const paths = new Map<string, string>();
  const resources = resourcesOfType(stacks, 'AWS::ApiGateway::Resource');
  const pathOf = (id: string | undefined): string => {
    if (!id || id === api.id) return '';
    const cached = paths.get(id);
    if (cached !== undefined) return cached;
    const r = resources.find((x) => x.id === id);
    if (!r) return '';
    const p = `${pathOf(referencedId(r.resource.Properties?.ParentId))}/${String(r.resource.Properties?.PathPart)}`;
    paths.set(id, p);
    return p;
  };
  const routes: ApiRoute[] = [];
  for (const m of resourcesOfType(stacks, 'AWS::ApiGateway::Method')) {
    const props = m.resource.Properties ?? {};
    const method = String(props.HttpMethod);
    if (method === 'OPTIONS') continue;
    const integration = props.Integration as
      | { Type?: string; Uri?: unknown; ResponseTransferMode?: string; TimeoutInMillis?: number }
      | undefined;
    const fn = findGetAttArn(integration?.Uri);
    if (!fn) continue;
    routes.push({
      method,
      resource: pathOf(referencedId(props.ResourceId)) || '/',
      functionLogicalId: fn,
      auth: (String(props.AuthorizationType ?? 'NONE') as AuthType) ?? 'NONE',
      apiKeyRequired: props.ApiKeyRequired === true,
      transfer: integration?.ResponseTransferMode === 'STREAM' ? 'STREAM' : 'BUFFERED',
      ...(typeof integration?.TimeoutInMillis === 'number' ? { timeoutMs: integration.TimeoutInMillis } : {}),
    });
  }
  const authorizer = resourcesOfType(stacks, 'AWS::ApiGateway::Authorizer')[0];
  const plans = resourcesOfType(stacks, 'AWS::ApiGateway::UsagePlan');
  const usagePlans = Object.fromEntries(
    plans.map((p) => [
      p.id,
      planLimits(resolver.resolve(p.stack, p.resource.Properties ?? {}) as Record<string, unknown>),
    ]),
  );
  const first = plans[0] ? usagePlans[plans[0].id] : undefined;
  const stage = resourcesOfType(stacks, 'AWS::ApiGateway::Stage')[0]?.resource.Properties?.StageName;
  const gatewayResponses = new Map<string, GatewayResponseSpec>();
  for (const g of resourcesOfType(stacks, 'AWS::ApiGateway::GatewayResponse')) {
    const props = resolver.resolve(g.stack, g.resource.Properties ?? {}) as Record<string, unknown>;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((props.ResponseParameters as Record<string, string>) ?? {})) {
      const name = k.replace(/^gatewayresponse\.header\./, '');
      headers[name] = String(v).replace(/^'(.*)'$/, '$1');
    }
    gatewayResponses.set(String(props.ResponseType), {
      statusCode: Number(props.StatusCode ?? defaultStatus(String(props.ResponseType))),
      template: (props.ResponseTemplates as Record<string, string> | undefined)?.['application/json'],
      headers,
    });
  }
  return {
    stage: typeof stage === 'string' ? stage : 'prod',
    apiKeySource: api.resource.Properties?.ApiKeySourceType === 'AUTHORIZER' ? 'AUTHORIZER' : 'HEADER',
    routes,
    ...(authorizer
      ? { authorizerFunctionLogicalId: findGetAttArn(authorizer.resource.Properties?.AuthorizerUri) }
      : {}),
    ...(first?.throttle ? { throttle: first.throttle } : {}),
    ...(first?.quota ? { quota: first.quota } : {}),
    usagePlans,
    gatewayResponses,
  };
}

const DEFAULT_MESSAGES: Record<string, [number, string]> = {
  UNAUTHORIZED: [401, 'Unauthorized'],
  ACCESS_DENIED: [403, 'User is not authorized to access this resource'],
  MISSING_AUTHENTICATION_TOKEN: [403, 'Missing Authentication Token'],
  INVALID_API_KEY: [403, 'Forbidden'],
  THROTTLED: [429, 'Too Many Requests'],
  QUOTA_EXCEEDED: [429, 'Limit Exceeded'],
  REQUEST_TOO_LARGE: [413, 'Request Too Long'],
  INTEGRATION_TIMEOUT: [504, 'Endpoint request timed out'],
  INTEGRATION_FAILURE: [502, 'Internal server error'],
  AUTHORIZER_FAILURE: [500, 'Authorizer error'],
};

function defaultStatus(type: string): number {
  return DEFAULT_MESSAGES[type]?.[0] ?? (type.endsWith('5XX') ? 500 : 400);
}

interface Bucket {
  tokens: number;
  at: number;
}

export interface LocalApiGatewayOptions {
  /** Local stand-in for IAM (SigV4) auth: `Authorization: Bearer <adminKey>` on AWS_IAM routes. */
  adminKey: string;
  /** The caller ARN (`identity.userArn`) a request with the admin key gets, as a SigV4 caller would. */
  adminIdentityArn: string;
  /**
   * API key values registered with the usage plan; the authorizer's usageIdentifierKey must be
   * one (Switchyard registers each key's random usage id, never the key).
   */
  isRegisteredKey: (value: string) => boolean;
  /**
   * The usage plan (logical id in `model.usagePlans`) an enabled key with this value is on, as
   * API Gateway decides: its limits apply. Without it, every registered key gets the model's.
   */
  usagePlanOf?: (value: string) => string | undefined;
  /** API Gateway's own payload limit. @default API_GATEWAY_MAX_BODY_BYTES (10 MiB) */
  maxBodyBytes?: number;
  /** The web ACL in front of the API (from the template). @default none */
  webAcl?: LocalWebAcl;
  /** Integration timeout. @default 29_000 */
  integrationTimeoutMs?: number;
  now?: () => number;
  /** Sees every answer after it is sent. */
  onResponse?: (info: ResponseInfo) => void;
}

export class LocalApiGateway {
  private readonly buckets = new Map<string, Bucket>();
  private readonly quotas = new Map<string, { period: string; used: number }>();
  private readonly now: () => number;
  private readonly compiled: Array<{ route: ApiRoute; segments: Segment[]; params: number }>;

  constructor(
    readonly model: ApiModel,
    private readonly runtime: LocalLambdaRuntime,
    private readonly options: LocalApiGatewayOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.compiled = model.routes.map((route) => {
      const segments = route.resource.split('/').map((seg): Segment => {
        const m = /^\{(.+?)(\+)?\}$/.exec(seg);
        return m ? { param: m[1] as string, greedy: m[2] === '+' } : { literal: seg };
      });
      return { route, segments, params: segments.filter((x) => 'param' in x).length };
    });
    // Literal routes before parameterised ones, as API Gateway prefers the most specific match.
    this.compiled.sort((a, b) => a.params - b.params);
  }

  /** Serves one request: the web ACL, API Gateway's own size limit, then the route. */
  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const method = (req.method ?? 'GET').toUpperCase();
    const target = parseRequestTarget(req.url ?? '/');
    const reply: Reply = { res, requestId, method, path: target?.path ?? req.url ?? '', started: this.now() };
    const headers = collectHeaders(req);
    const blocked = this.options.webAcl?.evaluate({
      uriPath: reply.path,
      header: (name) => header(headers, name),
    });
    if (blocked) {
      // The body is left unread, so the connection is closed after the answer.
      const payload = Buffer.from(blocked.body);
      return this.send(
        reply,
        blocked.status,
        {
          'content-type': blocked.contentType,
          'content-length': String(payload.length),
          connection: 'close',
        },
        payload,
      );
    }
    const max = this.options.maxBodyBytes ?? API_GATEWAY_MAX_BODY_BYTES;
    const declared = Number(header(headers, 'content-length') ?? 0);
    const body = declared > max ? undefined : await readBody(req, max);
    if (body === undefined) return this.gatewayResponse(reply, 'REQUEST_TOO_LARGE', { connection: 'close' });
    await this.handle(reply, req, target, headers, body);
  }

  private async handle(
    reply: Reply,
    req: IncomingMessage,
    target: RequestTarget | undefined,
    headers: CollectedHeaders,
    body: Buffer,
  ): Promise<void> {
    const { requestId, method } = reply;
    const match = target ? this.match(method, target.path) : undefined;
    if (!target || !match) return this.gatewayResponse(reply, 'MISSING_AUTHENTICATION_TOKEN');
    const { route, pathParameters } = match;
    const baseEvent = this.baseEvent(req, target, route, headers, pathParameters, requestId);
    baseEvent.body = body.length > 0 ? body.toString('utf8') : null;

    let authorizerContext: Record<string, unknown> | undefined;
    let iamIdentity: Record<string, string> | undefined;
    let apiKey = route.auth === 'NONE' ? header(headers, 'x-api-key') : undefined;
    if (route.auth === 'AWS_IAM') {
      // As API Gateway: no credentials at all is "Missing Authentication Token" (the 404 of an
      // unknown route); credentials that are not a valid signature of an admin (here: anything
      // but the admin key, such as a consumer key) are a 403.
      const authorization = header(headers, 'authorization')?.trim();
      if (!authorization) return this.gatewayResponse(reply, 'MISSING_AUTHENTICATION_TOKEN');
      if (bearer(authorization) !== this.options.adminKey)
        return this.gatewayResponse(reply, 'ACCESS_DENIED');
      authorizerContext = { principalId: 'local-admin' };
      const arn = this.options.adminIdentityArn;
      iamIdentity = { userArn: arn, accountId: arn.split(':')[4] ?? '' };
    } else if (route.auth === 'CUSTOM' && this.model.authorizerFunctionLogicalId) {
      const methodArn = `arn:aws:execute-api:us-east-1:000000000000:local/${this.model.stage}/${method}${target.path}`;
      let result: AuthorizerResult;
      try {
        result = (await this.runtime.invoke(this.model.authorizerFunctionLogicalId, {
          ...baseEvent,
          type: 'REQUEST',
          methodArn,
        })) as AuthorizerResult;
      } catch (err) {
        const unauthorized = err instanceof Error && err.message === 'Unauthorized';
        return this.gatewayResponse(reply, unauthorized ? 'UNAUTHORIZED' : 'AUTHORIZER_FAILURE');
      }
      if (!allows(result, methodArn)) return this.gatewayResponse(reply, 'ACCESS_DENIED');
      authorizerContext = { ...(result.context ?? {}), principalId: result.principalId };
      if (this.model.apiKeySource === 'AUTHORIZER') apiKey = result.usageIdentifierKey;
    }
    if (route.apiKeyRequired) {
      const plan = apiKey && this.options.usagePlanOf ? this.options.usagePlanOf(apiKey) : undefined;
      if (
        !apiKey ||
        !(this.options.usagePlanOf ? plan !== undefined : this.options.isRegisteredKey(apiKey))
      ) {
        return this.gatewayResponse(reply, 'INVALID_API_KEY');
      }
      const limits = plan !== undefined ? this.model.usagePlans?.[plan] : undefined;
      // Metered per key and plan: a key moved to another plan starts on that plan's bucket (a
      // bucket drained on the free plan must not throttle the key on enterprise).
      const limited = this.meter(`${plan ?? ''}\u0000${apiKey}`, limits ?? this.model);
      if (limited) return this.gatewayResponse(reply, limited);
    }

    const event = {
      ...baseEvent,
      requestContext: {
        ...baseEvent.requestContext,
        identity: { ...baseEvent.requestContext.identity, ...iamIdentity, apiKey: apiKey ?? null },
        ...(authorizerContext ? { authorizer: authorizerContext } : {}),
      },
    };
    if (route.transfer === 'STREAM') return this.stream(reply, route, event);
    let result: ProxyResult;
    try {
      result = (await withTimeout(
        this.runtime.invoke(route.functionLogicalId, event),
        route.timeoutMs ?? this.options.integrationTimeoutMs ?? 29_000,
      )) as ProxyResult;
    } catch (err) {
      const timedOut = err instanceof IntegrationTimeout;
      return this.gatewayResponse(reply, timedOut ? 'INTEGRATION_TIMEOUT' : 'INTEGRATION_FAILURE');
    }
    if (!result || typeof result.statusCode !== 'number') {
      return this.gatewayResponse(reply, 'INTEGRATION_FAILURE');
    }
    const out: Record<string, string | string[]> = Object.create(null);
    out['x-amzn-requestid'] = requestId;
    for (const [k, v] of Object.entries(result.headers ?? {})) out[k.toLowerCase()] = String(v);
    for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) out[k.toLowerCase()] = v.map(String);
    const payload = result.isBase64Encoded
      ? Buffer.from(result.body ?? '', 'base64')
      : Buffer.from(result.body ?? '');
    out['content-length'] = String(payload.length);
    this.send(reply, result.statusCode, out, payload);
  }

  /**
   * A STREAM-mode integration: the function's prelude (status, headers) becomes the response head,
   * every later byte is written as it arrives. Before the prelude, a failure is INTEGRATION_FAILURE
   * (or INTEGRATION_TIMEOUT); after it, the stream is just cut, as API Gateway does.
   */
  private async stream(reply: Reply, route: ApiRoute, event: unknown): Promise<void> {
    const { output, done } = this.runtime.invokeStreaming(route.functionLogicalId, event);
    void done.catch(() => undefined);
    const limit = route.timeoutMs ?? this.options.integrationTimeoutMs ?? 29_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      output.destroy(new IntegrationTimeout());
    }, limit);
    const { res } = reply;
    // The reader went away: end the function's stream (its next write fails).
    const onClose = () => {
      if (!output.readableEnded) output.destroy();
    };
    res.once('close', onClose);
    let head: { prelude: StreamPrelude; rest: Buffer } | undefined;
    try {
      head = await readPrelude(output);
    } catch {
      head = undefined;
    }
    if (!head) {
      clearTimeout(timer);
      res.off('close', onClose);
      return this.gatewayResponse(reply, timedOut ? 'INTEGRATION_TIMEOUT' : 'INTEGRATION_FAILURE');
    }
    const out: Record<string, string | string[]> = Object.create(null);
    out['x-amzn-requestid'] = reply.requestId;
    for (const [k, v] of Object.entries(head.prelude.headers ?? {})) out[k.toLowerCase()] = String(v);
    for (const [k, v] of Object.entries(head.prelude.multiValueHeaders ?? {}))
      out[k.toLowerCase()] = v.map(String);
    if (head.prelude.cookies?.length) out['set-cookie'] = head.prelude.cookies.map(String);
    const status = typeof head.prelude.statusCode === 'number' ? head.prelude.statusCode : 200;
    res.writeHead(status, out);
    res.flushHeaders();
    this.options.onResponse?.({
      method: reply.method,
      path: reply.path,
      status,
      headers: out,
      latencyMs: this.now() - reply.started,
      at: reply.started,
      streamed: true,
    });
    if (head.rest.length > 0) res.write(head.rest);
    await new Promise<void>((resolve) => {
      output.on('data', (chunk: Buffer) => res.write(chunk));
      output.once('end', () => {
        res.end();
        resolve();
      });
      output.once('error', () => {
        // Cut after the head: the connection just ends without the rest, as in AWS.
        res.destroy();
        resolve();
      });
      output.once('close', () => resolve());
      // readPrelude paused it: a new 'data' listener alone does not resume a paused stream.
      output.resume();
    });
    clearTimeout(timer);
    res.off('close', onClose);
  }

  private send(
    reply: Reply,
    status: number,
    headers: Record<string, string | string[]>,
    body: Buffer | string,
  ): void {
    reply.res.writeHead(status, headers);
    reply.res.end(body);
    this.options.onResponse?.({
      method: reply.method,
      path: reply.path,
      status,
      headers,
      latencyMs: this.now() - reply.started,
      at: reply.started,
    });
  }

  /** The route for `method` and a path as sent, and its decoded path parameters. */
  private match(
    method: string,
    path: string,
  ): { route: ApiRoute; pathParameters: Record<string, string> } | undefined {
    const segments = path.split('/');
    for (const c of this.compiled) {
      if (c.route.method !== method && c.route.method !== 'ANY') continue;
      const pathParameters = matchSegments(c.segments, segments);
      if (pathParameters) return { route: c.route, pathParameters };
    }
    return undefined;
  }

  private baseEvent(
    req: IncomingMessage,
    target: RequestTarget,
    route: ApiRoute,
    headers: CollectedHeaders,
    pathParameters: Record<string, string>,
    requestId: string,
  ) {
    const query: Record<string, string> = Object.create(null);
    const multiQuery: Record<string, string[]> = Object.create(null);
    for (const [k, v] of new URLSearchParams(target.query)) {
      query[k] = v;
      multiQuery[k] = [...(multiQuery[k] ?? []), v];
    }
    const hasQuery = Object.keys(query).length > 0;
    return {
      resource: route.resource,
      path: target.path,
      httpMethod: (req.method ?? 'GET').toUpperCase(),
      headers: headers.single,
      multiValueHeaders: headers.multi,
      queryStringParameters: hasQuery ? query : null,
      multiValueQueryStringParameters: hasQuery ? multiQuery : null,
      pathParameters: Object.keys(pathParameters).length ? pathParameters : null,
      stageVariables: null,
      body: null as string | null,
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        resourceId: 'local',
        resourcePath: route.resource,
        httpMethod: (req.method ?? 'GET').toUpperCase(),
        path: `/${this.model.stage}${target.path}`,
        stage: this.model.stage,
        protocol: 'HTTP/1.1',
        requestId,
        requestTimeEpoch: this.now(),
        identity: {
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          userAgent: header(headers, 'user-agent') ?? null,
        },
      },
    };
  }

  /** Usage plan: a token bucket (rate/burst) and a quota per period, per API key. */
  private meter(key: string, limits: UsagePlanLimits): 'THROTTLED' | 'QUOTA_EXCEEDED' | undefined {
    const now = this.now();
    const { throttle, quota } = limits;
    if (quota) {
      const d = new Date(now);
      const period =
        quota.period === 'DAY'
          ? d.toISOString().slice(0, 10)
          : quota.period === 'WEEK'
            ? String(Math.floor(now / 604_800_000))
            : d.toISOString().slice(0, 7);
      const q = this.quotas.get(key);
      const used = q && q.period === period ? q.used : 0;
      if (used >= quota.limit) return 'QUOTA_EXCEEDED';
      this.quotas.set(key, { period, used: used + 1 });
    }
    if (throttle) {
      const b = this.buckets.get(key) ?? { tokens: throttle.burstLimit, at: now };
      b.tokens = Math.min(throttle.burstLimit, b.tokens + ((now - b.at) / 1000) * throttle.rateLimit);
      b.at = now;
      if (b.tokens < 1) {
        this.buckets.set(key, b);
        return 'THROTTLED';
      }
      b.tokens -= 1;
      this.buckets.set(key, b);
    }
    return undefined;
  }

  private gatewayResponse(reply: Reply, type: string, extraHeaders: Record<string, string> = {}): void {
    const { requestId } = reply;
    const spec =
      this.model.gatewayResponses.get(type) ??
      this.model.gatewayResponses.get(defaultStatus(type) >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX');
    const [status, message] = DEFAULT_MESSAGES[type] ?? [defaultStatus(type), 'Error'];
    const statusCode = this.model.gatewayResponses.get(type)?.statusCode ?? status;
    // The context variables a gateway response template may use. Values are inserted JSON-escaped
    // (AWS inserts them raw), so a caller's path cannot break the JSON of its own answer.
    const context: Record<string, string> = {
      'error.messageString': JSON.stringify(message),
      'error.message': jsonEscaped(message),
      'error.responseType': type,
      requestId,
      httpMethod: reply.method,
      path: jsonEscaped(reply.path),
      stage: this.model.stage,
      resourcePath: '',
    };
    const body = spec?.template
      ? spec.template.replace(/\$context\.([A-Za-z.]+)/g, (_, name: string) =>
          Object.hasOwn(context, name) ? (context[name] as string) : '',
        )
      : JSON.stringify({ message });
    // One entry per header name whatever the case the template spells it in (AWS sends each once).
    const headers: Record<string, string> = Object.create(null);
    const put = (entries: Record<string, string>) => {
      for (const [k, v] of Object.entries(entries)) headers[k.toLowerCase()] = v;
    };
    put({ 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': requestId });
    put(spec?.headers ?? {});
    put(extraHeaders);
    this.send(reply, statusCode, headers, body);
  }
}

/** One request's response context. */
interface Reply {
  res: ServerResponse;
  requestId: string;
  method: string;
  path: string;
  started: number;
}

/** What `onResponse` sees of each answer (for the local dashboard). */
export interface ResponseInfo {
  method: string;
  path: string;
  status: number;
  headers: Record<string, string | string[]>;
  latencyMs: number;
  at: number;
  /** A streamed answer: `latencyMs` is the time to its head (first byte), not to its end. */
  streamed?: boolean;
}

/** The JSON prelude of a streamed Lambda HTTP answer (HttpResponseStream.from). */
interface StreamPrelude {
  statusCode?: number;
  headers?: Record<string, unknown>;
  multiValueHeaders?: Record<string, unknown[]>;
  cookies?: unknown[];
}

/** Reads a streamed answer up to its prelude delimiter: the parsed prelude and the bytes after it. */
function readPrelude(output: Readable): Promise<{ prelude: StreamPrelude; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const at = buffered.indexOf(HTTP_PRELUDE_DELIMITER);
      if (at < 0) return;
      cleanup();
      output.pause();
      try {
        resolve({
          prelude: JSON.parse(buffered.subarray(0, at).toString('utf8')) as StreamPrelude,
          rest: buffered.subarray(at + HTTP_PRELUDE_DELIMITER.length),
        });
      } catch (err) {
        reject(err);
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new Error('the stream ended before its prelude'));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      output.off('data', onData);
      output.off('end', onEnd);
      output.off('error', onError);
      output.off('close', onEnd);
    };
    output.on('data', onData);
    output.once('end', onEnd);
    output.once('error', onError);
    output.once('close', onEnd);
  });
}

interface AuthorizerResult {
  principalId?: string;
  policyDocument?: {
    Statement?: Array<{ Effect?: string; Action?: string | string[]; Resource?: string | string[] }>;
  };
  context?: Record<string, unknown>;
  usageIdentifierKey?: string;
}

interface ProxyResult {
  statusCode: number;
  headers?: Record<string, unknown>;
  multiValueHeaders?: Record<string, unknown[]>;
  body?: string;
  isBase64Encoded?: boolean;
}

/** IAM policy evaluation, enough for authorizer policies: an explicit Deny wins, else any Allow. */
function allows(result: AuthorizerResult, methodArn: string): boolean {
  const statements = result.policyDocument?.Statement ?? [];
  const matches = (s: (typeof statements)[number]) =>
    [s.Resource ?? []].flat().some((r) => wildcard(r).test(methodArn)) &&
    [s.Action ?? []].flat().some((a) => a === 'execute-api:Invoke' || a === '*' || a === 'execute-api:*');
  if (statements.some((s) => s.Effect === 'Deny' && matches(s))) return false;
  return statements.some((s) => s.Effect === 'Allow' && matches(s));
}

function wildcard(pattern: string): RegExp {
  const src = pattern
    .split('*')
    .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  // API Gateway's method ARNs use the API id; locally any API id matches.
  return new RegExp(`^${src.replace(/execute-api:([^:]*):([^:]*):[^/]+\//, 'execute-api:$1:$2:[^/]+/')}$`);
}

/** API Gateway REST's payload limit. */
export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

type Segment = { literal: string } | { param: string; greedy: boolean };

interface RequestTarget {
  /** The path as sent (still percent-encoded). */
  path: string;
  query: string;
}

interface CollectedHeaders {
  single: Record<string, string>;
  multi: Record<string, string[]>;
}

/**
 * The path and query of an HTTP request target, taken as sent: no `//` merging, no dot-segment
 * resolution, no decoding. Only origin-form (`/...`) targets have a path; others answer undefined.
 */
export function parseRequestTarget(target: string): RequestTarget | undefined {
  if (!target.startsWith('/')) return undefined;
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

/** Path parameters when `segments` (a path split on `/`) fit the resource's, else undefined. */
function matchSegments(
  pattern: readonly Segment[],
  segments: readonly string[],
): Record<string, string> | undefined {
  const params: Record<string, string> = Object.create(null);
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as Segment;
    if ('literal' in p) {
      if (segments[i] !== p.literal) return undefined;
      continue;
    }
    const taken = p.greedy ? segments.slice(i) : segments.slice(i, i + 1);
    if (taken.length === 0 || taken.some((x) => x === '')) return undefined;
    const decoded = taken.map(decodeSegment);
    if (decoded.some((x) => x === undefined)) return undefined;
    params[p.param] = decoded.join('/');
    if (p.greedy) return params;
  }
  return segments.length === pattern.length ? params : undefined;
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined; // a malformed escape (`%ZZ`, a lone `%`)
  }
}

/** A string as it appears inside JSON quotes. */
function jsonEscaped(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/** The body, or undefined once it grows past `max` bytes (the rest is left unread). */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.off('data', onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function collectHeaders(req: IncomingMessage): CollectedHeaders {
  const single: Record<string, string> = Object.create(null);
  const multi: Record<string, string[]> = Object.create(null);
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const k = req.rawHeaders[i] as string;
    const v = req.rawHeaders[i + 1] as string;
    single[k] = v;
    multi[k] = [...(multi[k] ?? []), v];
  }
  return { single, multi };
}

function header(headers: Pick<CollectedHeaders, 'single'>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers.single)) if (k.toLowerCase() === name) return v;
  return undefined;
}

function bearer(value: string | undefined): string | undefined {
  const m = value ? /^Bearer\s+(.+)$/i.exec(value.trim()) : null;
  return m?.[1];
}

class IntegrationTimeout extends Error {}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new IntegrationTimeout()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
