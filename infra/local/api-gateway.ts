// API Gateway (REST) emulation for the local stack: the routes, authorizer, API-key usage plan
// and gateway responses come from the synthesized template; requests become Lambda proxy events
// for the same handlers that run in AWS, and their results become HTTP responses.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CfnResolver, CfnStack } from './cfn.ts';
import { findGetAttArn, referencedId, resourcesOfType } from './cfn.ts';
import type { LocalLambdaRuntime } from './lambda-runtime.ts';

export type AuthType = 'NONE' | 'CUSTOM' | 'AWS_IAM';

export interface ApiRoute {
  method: string;
  /** Resource path with `{param}` / `{proxy+}` segments, e.g. `/v1/jobs/{id}`. */
  resource: string;
  functionLogicalId: string;
  auth: AuthType;
  apiKeyRequired: boolean;
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
  gatewayResponses: Map<string, GatewayResponseSpec>;
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
    const integration = props.Integration as { Type?: string; Uri?: unknown } | undefined;
    const fn = findGetAttArn(integration?.Uri);
    if (!fn) continue;
    routes.push({
      method,
      resource: pathOf(referencedId(props.ResourceId)) || '/',
      functionLogicalId: fn,
      auth: (String(props.AuthorizationType ?? 'NONE') as AuthType) ?? 'NONE',
      apiKeyRequired: props.ApiKeyRequired === true,
    });
  }
  const authorizer = resourcesOfType(stacks, 'AWS::ApiGateway::Authorizer')[0];
  const plan = resourcesOfType(stacks, 'AWS::ApiGateway::UsagePlan')[0]?.resource.Properties ?? {};
  const throttle = plan.Throttle as { RateLimit?: number; BurstLimit?: number } | undefined;
  const quota = plan.Quota as { Limit?: number; Period?: 'DAY' | 'WEEK' | 'MONTH' } | undefined;
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
    ...(throttle?.RateLimit !== undefined
      ? { throttle: { rateLimit: throttle.RateLimit, burstLimit: throttle.BurstLimit ?? throttle.RateLimit } }
      : {}),
    ...(quota?.Limit !== undefined ? { quota: { limit: quota.Limit, period: quota.Period ?? 'MONTH' } } : {}),
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
  maxBodyBytes?: number;
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
  private readonly compiled: Array<{ route: ApiRoute; pattern: RegExp; names: string[] }>;

  constructor(
    readonly model: ApiModel,
    private readonly runtime: LocalLambdaRuntime,
    private readonly options: LocalApiGatewayOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.compiled = model.routes.map((route) => {
      const names: string[] = [];
      const source = route.resource
        .split('/')
        .map((seg) => {
          const m = /^\{(.+?)(\+)?\}$/.exec(seg);
          if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(m[1] as string);
          return m[2] ? '(.+)' : '([^/]+)';
        })
        .join('/');
      return { route, pattern: new RegExp(`^${source}$`), names };
    });
    // Literal routes before parameterised ones, as API Gateway prefers the most specific match.
    this.compiled.sort((a, b) => a.names.length - b.names.length);
  }

  async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();
    const reply: Reply = { res, requestId, method, path: url.pathname, started: this.now() };
    const match = this.match(method, url.pathname);
    if (!match) return this.gatewayResponse(reply, 'MISSING_AUTHENTICATION_TOKEN');
    if (body.length > (this.options.maxBodyBytes ?? 10 * 1024 * 1024)) {
      return this.gatewayResponse(reply, 'REQUEST_TOO_LARGE');
    }
    const { route, pathParameters } = match;
    const headers = collectHeaders(req);
    const baseEvent = this.baseEvent(req, url, route, headers, pathParameters, requestId);
    baseEvent.body = body.length > 0 ? body.toString('utf8') : null;

    let authorizerContext: Record<string, unknown> | undefined;
    let iamIdentity: Record<string, string> | undefined;
    let apiKey = route.auth === 'NONE' ? header(headers, 'x-api-key') : undefined;
    if (route.auth === 'AWS_IAM') {
      const token = bearer(header(headers, 'authorization'));
      if (!token) return this.gatewayResponse(reply, 'MISSING_AUTHENTICATION_TOKEN');
      if (token !== this.options.adminKey) return this.gatewayResponse(reply, 'ACCESS_DENIED');
      authorizerContext = { principalId: 'local-admin' };
      const arn = this.options.adminIdentityArn;
      iamIdentity = { userArn: arn, accountId: arn.split(':')[4] ?? '' };
    } else if (route.auth === 'CUSTOM' && this.model.authorizerFunctionLogicalId) {
      const methodArn = `arn:aws:execute-api:us-east-1:000000000000:local/${this.model.stage}/${method}${url.pathname}`;
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
      if (!apiKey || !this.options.isRegisteredKey(apiKey)) {
        return this.gatewayResponse(reply, 'INVALID_API_KEY');
      }
      const limited = this.meter(apiKey);
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
    let result: ProxyResult;
    try {
      result = (await withTimeout(
        this.runtime.invoke(route.functionLogicalId, event),
        this.options.integrationTimeoutMs ?? 29_000,
      )) as ProxyResult;
    } catch (err) {
      const timedOut = err instanceof IntegrationTimeout;
      return this.gatewayResponse(reply, timedOut ? 'INTEGRATION_TIMEOUT' : 'INTEGRATION_FAILURE');
    }
    if (!result || typeof result.statusCode !== 'number') {
      return this.gatewayResponse(reply, 'INTEGRATION_FAILURE');
    }
    const out: Record<string, string | string[]> = { 'x-amzn-requestid': requestId };
    for (const [k, v] of Object.entries(result.headers ?? {})) out[k.toLowerCase()] = String(v);
    for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) out[k.toLowerCase()] = v.map(String);
    const payload = result.isBase64Encoded
      ? Buffer.from(result.body ?? '', 'base64')
      : Buffer.from(result.body ?? '');
    out['content-length'] = String(payload.length);
    this.send(reply, result.statusCode, out, payload);
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

  private match(
    method: string,
    path: string,
  ): { route: ApiRoute; pathParameters: Record<string, string> } | undefined {
    for (const c of this.compiled) {
      if (c.route.method !== method && c.route.method !== 'ANY') continue;
      const m = c.pattern.exec(path);
      if (!m) continue;
      const pathParameters: Record<string, string> = {};
      c.names.forEach((n, i) => {
        pathParameters[n] = decodeURIComponent(m[i + 1] as string);
      });
      return { route: c.route, pathParameters };
    }
    return undefined;
  }

  private baseEvent(
    req: IncomingMessage,
    url: URL,
    route: ApiRoute,
    headers: { single: Record<string, string>; multi: Record<string, string[]> },
    pathParameters: Record<string, string>,
    requestId: string,
  ) {
    const query: Record<string, string> = {};
    const multiQuery: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) {
      query[k] = v;
      multiQuery[k] = [...(multiQuery[k] ?? []), v];
    }
    const hasQuery = Object.keys(query).length > 0;
    return {
      resource: route.resource,
      path: url.pathname,
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
        path: `/${this.model.stage}${url.pathname}`,
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
  private meter(key: string): 'THROTTLED' | 'QUOTA_EXCEEDED' | undefined {
    const now = this.now();
    const { throttle, quota } = this.model;
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

  private gatewayResponse(reply: Reply, type: string): void {
    const { requestId } = reply;
    const spec =
      this.model.gatewayResponses.get(type) ??
      this.model.gatewayResponses.get(defaultStatus(type) >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX');
    const [status, message] = DEFAULT_MESSAGES[type] ?? [defaultStatus(type), 'Error'];
    const statusCode = this.model.gatewayResponses.get(type)?.statusCode ?? status;
    const body = spec?.template
      ? spec.template
          .replaceAll('$context.error.messageString', JSON.stringify(message))
          .replaceAll('$context.error.message', message)
          .replaceAll('$context.error.responseType', type)
          .replaceAll('$context.requestId', requestId)
      : JSON.stringify({ message });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-amzn-errortype': type,
      'x-amzn-requestid': requestId,
      ...(spec?.headers ?? {}),
    };
    if (type === 'THROTTLED' || type === 'QUOTA_EXCEEDED') headers['retry-after'] ??= '1';
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

function collectHeaders(req: IncomingMessage): {
  single: Record<string, string>;
  multi: Record<string, string[]>;
} {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const k = req.rawHeaders[i] as string;
    const v = req.rawHeaders[i + 1] as string;
    single[k] = v;
    multi[k] = [...(multi[k] ?? []), v];
  }
  return { single, multi };
}

function header(headers: { single: Record<string, string> }, name: string): string | undefined {
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
