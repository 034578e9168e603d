// The public REST API: routes from a typed list (consumer routes need an API key, admin routes
// IAM), a REQUEST Lambda authorizer that is the API key source (consumers send
// `Authorization: Bearer <key>` as OpenAI clients do, or `x-api-key`), one usage plan per plan
// tier (free, standard, enterprise: throttle and quota per key, so request throttling stays at
// the edge; a tenant's keys are put on its tier's plan), OpenAI-shaped gateway errors, and access
// logs without bodies.

import { describeBytes, MAX_BODY_BYTES, PLAN_TIERS, type PlanTier } from '@switchyard/core';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  ApiKeySourceType,
  AuthorizationType,
  type CfnAuthorizer,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  type Method,
  MethodLoggingLevel,
  Period,
  RequestAuthorizer,
  ResponseTransferMode,
  ResponseType,
  RestApi,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `api-key`: consumer route (authorizer + API key + usage plan); `iam`: SigV4 (admin). */
export type RouteAuth = 'api-key' | 'iam';

export interface ApiRoute {
  readonly method: HttpMethod;
  /** Resource path, e.g. `/v1/chat/completions` or `/v1/jobs/{id}`. */
  readonly path: string;
  /** The function behind the route (Lambda proxy integration). */
  readonly handler: IFunction;
  /**
   * Who may call the route.
   * @default 'api-key'
   */
  readonly auth?: RouteAuth;
}

export interface ThrottleSettings {
  /** Steady-state requests per second per API key. */
  readonly rateLimit: number;
  /** Burst capacity per API key. */
  readonly burstLimit: number;
}

export interface QuotaSettings {
  /** Requests per period per API key. */
  readonly limit: number;
  /**
   * The quota's period.
   * @default Period.MONTH
   */
  readonly period?: Period;
}

/** What one tier's usage plan allows each key. */
export interface UsagePlanSettings {
  readonly throttle: ThrottleSettings;
  readonly quota: QuotaSettings;
}

/**
 * The tiers' usage plans by default: free 5 requests/s (burst 10) and 10,000 a month; standard
 * 50/s (burst 100) and 1,000,000 a month; enterprise 500/s (burst 1,000) and 100,000,000 a month.
 */
export const DEFAULT_USAGE_PLANS: Readonly<Record<PlanTier, UsagePlanSettings>> = {
  free: { throttle: { rateLimit: 5, burstLimit: 10 }, quota: { limit: 10_000 } },
  standard: { throttle: { rateLimit: 50, burstLimit: 100 }, quota: { limit: 1_000_000 } },
  enterprise: { throttle: { rateLimit: 500, burstLimit: 1_000 }, quota: { limit: 100_000_000 } },
};

/** The construct id of a tier's plan (standard keeps the id the single plan had: its keys stay on it). */
const planId = (tier: PlanTier) =>
  tier === 'standard' ? 'UsagePlan' : `UsagePlan${tier[0]?.toUpperCase()}${tier.slice(1)}`;

export interface ConsumerApiProps {
  /** The REQUEST authorizer function: validates the key, returns `usageIdentifierKey`. */
  readonly authorizer: IFunction;
  /**
   * Routes to create now; more can be added with `addRoute`.
   * @default []
   */
  readonly routes?: readonly ApiRoute[];
  /**
   * Stage name (part of the URL).
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Throttle and quota per API key of each tier's usage plan (tiers not named keep their defaults).
   * @default DEFAULT_USAGE_PLANS
   */
  readonly usagePlans?: Partial<Record<PlanTier, UsagePlanSettings>>;
  /**
   * Retention of the access logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: RetentionDays;
  /**
   * Functions whose routes stream (`ResponseTransferMode.STREAM`: API Gateway invokes them with
   * InvokeWithResponseStream, and they answer in Lambda's streaming HTTP format, buffered answers
   * included). Every route of such a function streams.
   * @default []
   */
  readonly streamingFunctions?: readonly IFunction[];
  /**
   * Integration timeout of streaming routes: how long a stream may last (API Gateway allows up to
   * 15 minutes when streaming; buffered integrations stay at 29 s).
   * @default Duration.minutes(15)
   */
  readonly streamTimeout?: Duration;
}

/** The integration timeout of streaming routes unless the props say otherwise. */
export const STREAM_INTEGRATION_TIMEOUT = Duration.minutes(15);

/** A gateway response in the OpenAI error shape. `message` is a VTL expression or a literal. */
export interface ErrorResponse {
  readonly type: ResponseType;
  readonly statusCode?: string;
  readonly message: { literal: string } | { vtl: string };
  readonly errorType: string;
  readonly code: { literal: string } | { vtl: string };
  readonly headers?: Record<string, string>;
}

/** The gateway responses of the API, each in the OpenAI error shape. */
export const GATEWAY_ERRORS: readonly ErrorResponse[] = [
  {
    type: ResponseType.UNAUTHORIZED,
    statusCode: '401',
    message: {
      literal: "Invalid or missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'.",
    },
    errorType: 'authentication_error',
    code: { literal: 'invalid_api_key' },
  },
  {
    type: ResponseType.INVALID_API_KEY,
    statusCode: '401',
    message: { literal: 'Invalid API key.' },
    errorType: 'authentication_error',
    code: { literal: 'invalid_api_key' },
  },
  {
    type: ResponseType.ACCESS_DENIED,
    statusCode: '403',
    message: { vtl: '$context.error.messageString' },
    errorType: 'permission_error',
    code: { literal: 'forbidden' },
  },
  {
    type: ResponseType.THROTTLED,
    statusCode: '429',
    message: { literal: 'Rate limit exceeded for this API key; retry after a short wait.' },
    errorType: 'rate_limit_error',
    code: { literal: 'rate_limit_exceeded' },
    headers: { 'Retry-After': "'1'" },
  },
  {
    type: ResponseType.QUOTA_EXCEEDED,
    statusCode: '429',
    message: { literal: "This API key's request quota for the period is used up." },
    errorType: 'insufficient_quota',
    code: { literal: 'insufficient_quota' },
  },
  {
    // An unknown route or a method a route does not have; also an IAM (admin) route called
    // without a SigV4 signature, which API Gateway reports the same way. OpenAI answers 404.
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    statusCode: '404',
    message: { vtl: '"Invalid URL ($context.httpMethod $context.path)"' },
    errorType: 'invalid_request_error',
    code: { vtl: 'null' },
  },
  {
    // Over API Gateway's own 10 MB; smaller oversized bodies are refused by the firewall first.
    type: ResponseType.REQUEST_TOO_LARGE,
    statusCode: '413',
    message: {
      literal: `The request body is larger than API Gateway's 10 MB limit; this API accepts at most ${describeBytes(MAX_BODY_BYTES)}.`,
    },
    errorType: 'invalid_request_error',
    code: { literal: 'payload_too_large' },
  },
  {
    type: ResponseType.BAD_REQUEST_BODY,
    statusCode: '400',
    message: { vtl: '$context.error.messageString' },
    errorType: 'invalid_request_error',
    code: { literal: 'invalid_request' },
  },
  {
    type: ResponseType.DEFAULT_4XX,
    message: { vtl: '$context.error.messageString' },
    errorType: 'invalid_request_error',
    code: { vtl: '"$context.error.responseType"' },
  },
  {
    type: ResponseType.DEFAULT_5XX,
    message: { vtl: '$context.error.messageString' },
    errorType: 'api_error',
    code: { vtl: '"$context.error.responseType"' },
  },
];

function render(value: { literal: string } | { vtl: string }): string {
  return 'literal' in value ? JSON.stringify(value.literal) : value.vtl;
}

/** The `application/json` template of an OpenAI-shaped error. */
export function openAiErrorTemplate(e: Pick<ErrorResponse, 'message' | 'errorType' | 'code'>): string {
  return `{"error":{"message":${render(e.message)},"type":${JSON.stringify(e.errorType)},"param":null,"code":${render(e.code)}}}`;
}

export class ConsumerApi extends Construct {
  public readonly api: RestApi;
  public readonly authorizer: RequestAuthorizer;
  /** One usage plan per tier. */
  public readonly usagePlans: Readonly<Record<PlanTier, UsagePlan>>;
  /** Their names (`<stack name>-<tier>`), unique in the account and region. */
  public readonly usagePlanNames: Readonly<Record<PlanTier, string>>;
  public readonly accessLogs: LogGroup;
  private readonly integrations = new Map<IFunction, LambdaIntegration>();
  private readonly streaming: ReadonlySet<IFunction>;
  private readonly streamTimeout: Duration;

  constructor(scope: Construct, id: string, props: ConsumerApiProps) {
    super(scope, id);
    this.streaming = new Set(props.streamingFunctions ?? []);
    this.streamTimeout = props.streamTimeout ?? STREAM_INTEGRATION_TIMEOUT;
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new RestApi(this, 'Api', {
      description: 'Switchyard: OpenAI-compatible model routing API',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      // Keys come from the authorizer (`usageIdentifierKey`), so `Authorization: Bearer` works.
      apiKeySourceType: ApiKeySourceType.AUTHORIZER,
      // Access logging needs the account's API Gateway CloudWatch role; keep it if the stack goes.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        // Request metadata only: no bodies, no headers (keys and prompts never reach the logs).
        accessLogFormat: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTimeEpoch',
            ip: '$context.identity.sourceIp',
            method: '$context.httpMethod',
            path: '$context.resourcePath',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            tenant: '$context.authorizer.principalId',
            apiKeyId: '$context.identity.apiKeyId',
            errorType: '$context.error.responseType',
          }),
        ),
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: false,
      },
    });

    // Either header may carry the key, so no identity source may be required: API Gateway
    // answers 401 without calling the authorizer when a configured identity source is missing,
    // and several sources are ANDed. Without identity sources caching must be off (TTL 0);
    // the authorizer caches key lookups in memory instead.
    this.authorizer = new RequestAuthorizer(this, 'Authorizer', {
      handler: props.authorizer,
      identitySources: [],
      resultsCacheTtl: Duration.seconds(0),
    });
    (this.authorizer.node.defaultChild as CfnAuthorizer).addPropertyDeletionOverride('IdentitySource');

    const plans = {} as Record<PlanTier, UsagePlan>;
    const names = {} as Record<PlanTier, string>;
    for (const tier of PLAN_TIERS) {
      const { throttle, quota } = props.usagePlans?.[tier] ?? DEFAULT_USAGE_PLANS[tier];
      names[tier] = `${Stack.of(this).stackName}-${tier}`;
      plans[tier] = this.api.addUsagePlan(planId(tier), {
        name: names[tier],
        description: `Switchyard ${tier} plan: throttle and quota per API key`,
        throttle,
        quota: { limit: quota.limit, period: quota.period ?? Period.MONTH },
        apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
      });
    }
    this.usagePlans = plans;
    this.usagePlanNames = names;

    GATEWAY_ERRORS.forEach((e) => {
      this.api.addGatewayResponse(`Error${e.type.responseType}`, {
        type: e.type,
        statusCode: e.statusCode,
        responseHeaders: e.headers,
        templates: { 'application/json': openAiErrorTemplate(e) },
      });
    });

    for (const route of props.routes ?? []) this.addRoute(route);
  }

  /** Adds a route (Lambda proxy integration) with the authorization its `auth` asks for. */
  addRoute(route: ApiRoute): Method {
    let integration = this.integrations.get(route.handler);
    if (!integration) {
      integration = new LambdaIntegration(route.handler, {
        proxy: true,
        allowTestInvoke: false,
        ...(this.streaming.has(route.handler)
          ? { responseTransferMode: ResponseTransferMode.STREAM, timeout: this.streamTimeout }
          : {}),
      });
      this.integrations.set(route.handler, integration);
    }
    const resource = this.api.root.resourceForPath(route.path);
    if ((route.auth ?? 'api-key') === 'iam') {
      return resource.addMethod(route.method, integration, { authorizationType: AuthorizationType.IAM });
    }
    return resource.addMethod(route.method, integration, {
      authorizationType: AuthorizationType.CUSTOM,
      authorizer: this.authorizer,
      apiKeyRequired: true,
    });
  }
}
