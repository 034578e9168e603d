// The whole stack on one machine: synthesizes the CDK app, starts local servers that speak the
// AWS protocols (DynamoDB, SQS, Step Functions, SageMaker runtime), creates the tables, queues
// and state machines the templates define, binds the real handlers, and serves the API through
// an API Gateway emulation. `npm start`, the e2e tests and the benchmark all use this.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  createDocumentClient,
  DynamoDbApiKeyStore,
  DynamoDbHealthStore,
  DynamoDbModelRegistry,
  DynamoDbRolloutStore,
  DynamoDbTenantStore,
  DynamoDbUsageStore,
  generateWebhookSecret,
  issueApiKey,
  loadRegistryFile,
} from '@switchyard/adapters';
import { DEFAULT_PLAN, describeBytes, newTenant, type Registry, type TenantCreate } from '@switchyard/core';
import dynalite from 'dynalite';
import { type ApiModel, apiModelFromTemplate, LocalApiGateway, readBody } from './api-gateway.ts';
import { startApiGatewayKeysServer } from './apigateway-keys.server.ts';
import { startApplicationAutoScalingServer } from './application-autoscaling.server.ts';
import { CfnResolver, type CfnStack, referencedId, resourcesOfType } from './cfn.ts';
import {
  type DashboardSources,
  DecisionLog,
  dashboardHtml,
  dashboardState,
  tenantSpend,
} from './dashboard.ts';
import {
  type EventRuleSpec,
  LocalEventRules,
  LocalScheduler,
  type ScheduleSpec,
  SqsEventSourcePoller,
  type SqsMappingSpec,
  scheduleIntervalMs,
} from './event-sources.ts';
import { type LocalFunctionSpec, LocalLambdaRuntime } from './lambda-runtime.ts';
import { type LocalConfig, localConfigFrom, simEndpointsFor } from './local-config.ts';
import { startS3Server } from './s3.server.ts';
import { type ExecutionRecord, startStepFunctionsServer } from './sfn.server.ts';
import { SIM_FAULT_MODES, type SimFaultMode, startSimEndpoints } from './sim-endpoints.server.ts';
import { startSqsServer } from './sqs.server.ts';
import { synthesizeTemplates } from './synth.ts';
import { LocalWebAcl } from './waf.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface LocalStackOptions {
  /** Port of the API (and the `/_local` control routes). 0 picks a free one. @default 0 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default registry.example.yaml at the repository root */
  registryFile?: string;
  /** The local consumer API key. @default a generated key */
  apiKey?: string;
  /** The local admin credential (stands in for IAM on admin routes). @default a generated key */
  adminKey?: string;
  /** The webhook signing secret of tenant `local`. @default a generated secret */
  webhookSecret?: string;
  /** Log level of the handlers (Powertools). @default 'WARN' */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** Run the EventBridge schedules on timers. @default true */
  schedules?: boolean;
  /** Interval of every schedule, instead of the template's rate. */
  scheduleIntervalMs?: number;
  /** Interval per schedule, by the prefix of its rule's logical id (e.g. `LearnedRefit`), over `scheduleIntervalMs`. */
  scheduleIntervals?: Record<string, number>;
  /** Pause of every Step Functions Retry (ms), instead of the backoff; for fast tests. */
  retryIntervalOverrideMs?: number;
  /** Pause of every Step Functions Wait state (ms), instead of its seconds; for fast rollout tests. */
  waitOverrideMs?: number;
  /** Randomness of the simulated endpoints (latency jitter, error draws). */
  simRandom?: () => number;
  /** Extra environment for the handlers (e.g. cache TTLs). */
  env?: Record<string, string>;
  /** Apply the usage plan's throttle and quota. Off only for benchmarks of raw overhead. @default true */
  usagePlan?: boolean;
  /** Called with non-fatal errors of the background parts (pollers, schedules). */
  onError?: (err: unknown) => void;
  /**
   * Visibility timeout (s) of every queue instead of the template's, so a message whose
   * invocation failed comes back in about this long (tests of redelivery and dead-lettering).
   */
  queueVisibilityTimeoutSeconds?: number;
}

export interface LocalStack {
  url: string;
  apiKey: string;
  adminKey: string;
  /** The webhook signing secret of tenant `local` (the local API key's tenant). */
  webhookSecret: string;
  registry: Registry;
  local: LocalConfig;
  runtime: LocalLambdaRuntime;
  sim: Awaited<ReturnType<typeof startSimEndpoints>>;
  sfn: Awaited<ReturnType<typeof startStepFunctionsServer>>;
  /** Application Auto Scaling: the templates' scalable targets (scale-in suspension during rollouts). */
  autoscaling: Awaited<ReturnType<typeof startApplicationAutoScalingServer>>;
  scheduler: LocalScheduler;
  poller: SqsEventSourcePoller;
  api: ApiModel;
  /** Local names of what the templates define, by logical id. */
  resources: {
    tables: Record<string, string>;
    queues: Record<string, string>;
    stateMachines: Record<string, string>;
    buckets: Record<string, string>;
  };
  endpoints: {
    dynamodb: string;
    sqs: string;
    sfn: string;
    sim: string;
    s3: string;
    apigateway: string;
    autoscaling: string;
  };
  timings: Record<string, number>;
  /**
   * Registers another consumer key (hashed record + usage id in the usage plan) for `tenant`,
   * creating the tenant with a webhook secret if it is new; returns the key.
   */
  addConsumerKey(tenant: string, options?: { allowed_models?: string[] }): Promise<string>;
  /** A tenant's webhook signing secret (undefined for an unknown tenant). */
  tenantWebhookSecret(tenant: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

/** The local key's tenant, created by every local stack (`npm start` prints it). */
export const LOCAL_TENANT: TenantCreate = {
  id: 'local',
  name: 'Local tenant',
  plan: DEFAULT_PLAN,
  budget: { limit_usd: 100, period: 'month' },
};

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
/** Handlers read their config at import, once per process, as in Lambda: one stack per process. */
let running = false;

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  if (running)
    throw new Error(
      'a local stack was already started in this process (handlers read their config once per process)',
    );
  running = true;
  const timings: Record<string, number> = {};
  const t0 = Date.now();
  const mark = (name: string) => {
    timings[name] = Date.now() - t0;
  };
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    stops.length = 0;
  };
  try {
    const registryFile = resolve(REPO_ROOT, options.registryFile ?? 'registry.example.yaml');
    const { registry, local: rawLocal } = await loadRegistryFile(registryFile);
    const local = localConfigFrom(rawLocal, registryFile);
    const stacks = await synthesizeTemplates(registryFile);
    mark('synth');

    // Servers that speak the AWS protocols.
    const ddbServer = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((ok, fail) =>
      ddbServer.listen(0, '127.0.0.1', (err?: Error) => (err ? fail(err) : ok())),
    );
    stops.push(() => new Promise<void>((ok) => ddbServer.close(() => ok())));
    const dynamodbUrl = `http://127.0.0.1:${(ddbServer.address() as AddressInfo).port}`;
    const sqsServer = await startSqsServer({ region: REGION });
    stops.push(() => sqsServer.stop());
    const sqsUrl = sqsServer.url;
    const sim = await startSimEndpoints({
      port: 0,
      endpoints: simEndpointsFor(registry, local),
      ...(options.simRandom ? { random: options.simRandom } : {}),
    });
    stops.push(() => sim.stop());
    mark('servers');

    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    const awsEnv: Record<string, string> = {
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbUrl,
      AWS_ENDPOINT_URL_SQS: sqsUrl,
      AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: sim.url,
      AWS_ENDPOINT_URL_SAGEMAKER: sim.url,
    };
    const ddb = new DynamoDBClient({ region: REGION, endpoint: dynamodbUrl, credentials });
    const sqs = new SQSClient({
      region: REGION,
      endpoint: sqsUrl,
      credentials,
      useQueueUrlAsEndpoint: false,
    });
    stops.push(async () => {
      ddb.destroy();
      sqs.destroy();
    });

    const resolver = new CfnResolver(stacks, { region: REGION, account: ACCOUNT, partition: 'aws' });
    bindGeneric(stacks, resolver);
    const tables = await createTables(stacks, resolver, ddb);
    const queues = await createQueues(stacks, resolver, sqs, options.queueVisibilityTimeoutSeconds);
    const stateMachineNames: Record<string, string> = {};
    for (const sm of resourcesOfType(stacks, 'AWS::StepFunctions::StateMachine')) {
      const name = String(sm.resource.Properties?.StateMachineName ?? sm.id);
      const arn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
      resolver.bind(sm.stack, sm.id, { ref: arn, attrs: { Arn: arn, Name: name } });
      stateMachineNames[sm.id] = arn;
    }
    // S3 (the usage archive): each bucket the templates define, by a lower-cased local name. Bound
    // before the functions' environments are resolved (a bucket's Ref there, e.g. the usage
    // export's USAGE_EXPORT_BUCKET, must be the local name, not the generic binding's logical id).
    const s3 = await startS3Server();
    stops.push(() => s3.stop());
    const buckets: Record<string, string> = {};
    for (const b of resourcesOfType(stacks, 'AWS::S3::Bucket')) {
      const name = b.id.toLowerCase();
      s3.createBucket(name);
      resolver.bind(b.stack, b.id, { ref: name, attrs: { Arn: `arn:aws:s3:::${name}` } });
      buckets[b.id] = name;
    }
    const functions = functionSpecs(stacks, resolver);
    // API Gateway's keys and usage plans (one per tier), for the admin function's real SDK client.
    const usagePlanResources = resourcesOfType(stacks, 'AWS::ApiGateway::UsagePlan');
    const apigwKeys = await startApiGatewayKeysServer({
      plans: usagePlanResources.map((p) => ({
        id: resolver.physicalOf(p.stack, p.id)?.ref ?? p.id,
        name: String(resolver.resolve(p.stack, p.resource.Properties?.UsagePlanName ?? p.id)),
      })),
    });
    stops.push(() => apigwKeys.stop());
    // Application Auto Scaling: the scalable targets the templates declare, as CloudFormation makes them.
    const autoscaling = await startApplicationAutoScalingServer({ region: REGION, accountId: ACCOUNT });
    stops.push(() => autoscaling.stop());
    for (const t of resourcesOfType(stacks, 'AWS::ApplicationAutoScaling::ScalableTarget')) {
      const p = t.resource.Properties ?? {};
      autoscaling.seed({
        ServiceNamespace: String(resolver.resolve(t.stack, p.ServiceNamespace)),
        ResourceId: String(resolver.resolve(t.stack, p.ResourceId)),
        ScalableDimension: String(resolver.resolve(t.stack, p.ScalableDimension)),
        MinCapacity: Number(resolver.resolve(t.stack, p.MinCapacity)),
        MaxCapacity: Number(resolver.resolve(t.stack, p.MaxCapacity)),
      });
    }
    mark('resources');

    const runtime = new LocalLambdaRuntime(
      functions.map((f) => ({ ...f, env: f.env })),
      REPO_ROOT,
    );
    // EventBridge rules on Step Functions execution status changes (e.g. the job workflow's
    // safety net), fed by the local server's terminal execution events.
    const eventRules = new LocalEventRules(runtime, eventRuleSpecs(stacks, resolver), {
      onError: (err) => options.onError?.(err),
    });
    stops.push(() => eventRules.stop());
    const sfn = await startStepFunctionsServer({
      port: 0,
      region: REGION,
      accountId: ACCOUNT,
      invokeFunction: (arn, payload) => runtime.invoke(arn, payload),
      onExecutionEvent: (e) => {
        if (!TERMINAL_EXECUTION_EVENTS.has(e.event.type)) return;
        void sfn.waitForExecution(e.executionArn).then((x) => eventRules.put(executionStatusChange(x)));
      },
      ...(options.retryIntervalOverrideMs !== undefined
        ? { retryIntervalOverrideMs: options.retryIntervalOverrideMs }
        : {}),
      ...(options.waitOverrideMs !== undefined ? { waitOverrideMs: options.waitOverrideMs } : {}),
    });
    stops.push(() => sfn.stop());
    for (const sm of resourcesOfType(stacks, 'AWS::StepFunctions::StateMachine')) {
      const definition = resolver.resolve(sm.stack, sm.resource.Properties?.DefinitionString);
      const arn = stateMachineNames[sm.id] as string;
      sfn.registerStateMachine({
        name: arn.split(':').pop() as string,
        arn,
        definition: typeof definition === 'string' ? JSON.parse(definition) : definition,
      });
    }

    const logLevel = options.logLevel ?? 'WARN';
    await runtime.load({
      ...awsEnv,
      AWS_ENDPOINT_URL_SFN: sfn.url,
      AWS_ENDPOINT_URL_API_GATEWAY: apigwKeys.url,
      AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING: autoscaling.url,
      AWS_ENDPOINT_URL_S3: s3.url,
      S3_FORCE_PATH_STYLE: 'true',
      POWERTOOLS_LOG_LEVEL: logLevel,
      AWS_LAMBDA_LOG_LEVEL: logLevel,
      POWERTOOLS_DEV: 'false',
      // EMF metrics are for CloudWatch: not written to the local console.
      POWERTOOLS_METRICS_DISABLED: 'true',
      // One probe round per health-check run (AWS loops 4 x 15 s in one run): tests trigger rounds
      // themselves, and stopping never waits for a sleeping loop; the local schedule's interval
      // (scheduleIntervalMs) sets how often. options.env may say otherwise.
      PROBE_ROUNDS: '1',
      // Local mode: job webhooks may call back to this machine over http.
      JOB_WEBHOOK_ALLOW_LOCAL: 'true',
      ...(options.env ?? {}),
    });
    mark('handlers');

    // Seed the registry, tenant `local` (with its webhook secret) and the local consumer key.
    const doc = createDocumentClient({ region: REGION, endpoint: dynamodbUrl, credentials });
    stops.push(async () => doc.destroy());
    const registryTable = tableNamed(tables, 'registry');
    await new DynamoDbModelRegistry({ client: doc, tableName: registryTable }).replace(
      rewriteTargets(registry, sim.url, local),
    );
    const keyStore = new DynamoDbApiKeyStore({ client: doc, tableName: tableNamed(tables, 'keys') });
    const tenants = new DynamoDbTenantStore({ client: doc, tableName: tableNamed(tables, 'tenants') });
    const webhookSecret = options.webhookSecret ?? generateWebhookSecret();
    await tenants.create(newTenant(LOCAL_TENANT, webhookSecret, Date.now()));
    const adminKey = options.adminKey ?? `sk-sy-admin-${randomBytes(18).toString('base64url')}`;
    // The usage plans know each key by its random usage id (as in AWS), never by the key; seeded
    // keys go on the standard tier's plan (the admin API puts a tenant's keys on its tier's).
    const standardPlan = usagePlanResources.find((p) =>
      String(resolver.resolve(p.stack, p.resource.Properties?.UsagePlanName ?? '')).endsWith(
        `-${DEFAULT_PLAN}`,
      ),
    );
    const standardPlanId = standardPlan
      ? (resolver.physicalOf(standardPlan.stack, standardPlan.id)?.ref ?? standardPlan.id)
      : '';
    const addKey = async (
      tenant: string,
      name: string,
      extra: { key?: string; allowed_models?: string[] },
    ) => {
      const issued = issueApiKey({ tenant, name, now: Date.now(), ...extra });
      const gatewayKeyId = apigwKeys.addKey(issued.record.usage_id, issued.record.key_id, standardPlanId);
      await keyStore.put({ ...issued.record, gateway_key_id: gatewayKeyId });
      return issued.key;
    };
    const apiKey = await addKey('local', 'local consumer key', {
      key: options.apiKey ?? `sk-sy-local-${randomBytes(18).toString('base64url')}`,
    });
    mark('seed');

    // The API, event sources and schedules.
    const model = apiModelFromTemplate(stacks, resolver);
    const api: ApiModel =
      options.usagePlan === false
        ? {
            ...model,
            throttle: undefined,
            quota: undefined,
            usagePlans: Object.fromEntries(Object.keys(model.usagePlans ?? {}).map((id) => [id, {}])),
          }
        : model;
    const decisions = new DecisionLog();
    const webAcl = LocalWebAcl.fromTemplate(stacks);
    const gateway = new LocalApiGateway(api, runtime, {
      ...(webAcl ? { webAcl } : {}),
      adminKey,
      adminIdentityArn: localAdminIdentity(functions),
      isRegisteredKey: (usageId) => apigwKeys.planOf(usageId) !== undefined,
      usagePlanOf: (usageId) => apigwKeys.planOf(usageId),
      onResponse: (r) => {
        if (r.path.startsWith('/v1/')) {
          decisions.add(DecisionLog.fromResponse(r.method, r.path, r.status, r.headers, r.latencyMs, r.at));
        }
      },
    });
    const healthStore = new DynamoDbHealthStore({ client: doc, tableName: tableNamed(tables, 'health') });
    const rolloutStore = new DynamoDbRolloutStore({ client: doc, tableName: tableNamed(tables, 'rollouts') });
    const dashboard: DashboardSources = {
      endpoints: () => sim.list().map((e) => ({ id: e.id, model: e.model, kind: e.kind, fault: e.fault })),
      inflight: (id) => sim.stats(id).inflight,
      log: decisions,
      health: () => healthStore.snapshot(),
      rollouts: () => rolloutStore.list(),
      tenants: () =>
        tenantSpend(
          () => tenants.list(),
          new DynamoDbUsageStore({ client: doc, tableName: tableNamed(tables, 'usage') }),
          Date.now(),
        ),
    };
    const onError = options.onError ?? (() => undefined);
    const poller = new SqsEventSourcePoller(sqs, runtime, sqsMappings(stacks, resolver), {
      region: REGION,
      onError,
    });
    poller.start();
    stops.push(() => poller.stop());
    const scheduler = new LocalScheduler(runtime, scheduleSpecs(stacks, resolver), {
      region: REGION,
      account: ACCOUNT,
      onError,
    });
    if (options.schedules !== false) scheduler.start(options.scheduleIntervalMs, options.scheduleIntervals);
    stops.push(() => scheduler.stop());

    const server = createServer((req, res) => {
      void serve(req, res, gateway, sim, dashboard).catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { message: 'local gateway error', type: 'server_error', param: null, code: null },
          }),
        );
      });
    });
    server.keepAliveTimeout = 65_000;
    server.on('clientError', answerClientError);
    await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
    stops.push(() => closeServer(server));
    const port = (server.address() as AddressInfo).port;
    mark('ready');

    return {
      url: `http://${options.host ?? '127.0.0.1'}:${port}`,
      apiKey,
      adminKey,
      webhookSecret,
      registry,
      local,
      runtime,
      sim,
      sfn,
      autoscaling,
      scheduler,
      poller,
      api,
      resources: { tables, queues, stateMachines: stateMachineNames, buckets },
      endpoints: {
        dynamodb: dynamodbUrl,
        sqs: sqsUrl,
        sfn: sfn.url,
        sim: sim.url,
        s3: s3.url,
        apigateway: apigwKeys.url,
        autoscaling: autoscaling.url,
      },
      timings,
      addConsumerKey: async (tenant, keyOptions = {}) => {
        await tenants.create(
          newTenant({ id: tenant, name: tenant, plan: DEFAULT_PLAN }, generateWebhookSecret(), Date.now()),
        );
        return addKey(tenant, `local consumer key (${tenant})`, {
          key: `sk-sy-local-${randomBytes(18).toString('base64url')}`,
          ...(keyOptions.allowed_models ? { allowed_models: keyOptions.allowed_models } : {}),
        });
      },
      tenantWebhookSecret: (tenant) => tenants.webhookSecret(tenant),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  gateway: LocalApiGateway,
  sim: Awaited<ReturnType<typeof startSimEndpoints>>,
  dashboard: DashboardSources,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method === 'GET' && (path === '/_local/dashboard' || path === '/_local' || path === '/')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(dashboardHtml());
    return;
  }
  if (req.method === 'GET' && path === '/_local/state') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(await dashboardState(dashboard)));
    return;
  }
  if (path.startsWith('/_local/'))
    return localControl(req, res, path, await readBody(req, LOCAL_CONTROL_MAX_BODY), sim);
  await gateway.serve(req, res);
}

/**
 * A request Node's HTTP parser refused before any handler saw it (a malformed request line, method,
 * header or framing; headers over the server's 16 KiB): answered in the OpenAI error shape, then
 * the connection is closed, as Node's default handler does with an empty 400.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'The request line and headers are larger than 16 KiB.']
      : [400, 'Bad Request', 'Malformed HTTP request: its request line, a header or its framing is invalid.'];
  const body = JSON.stringify({
    error: { message, type: 'invalid_request_error', param: null, code: 'malformed_request' },
  });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** The most a `/_local` control body may hold: small JSON. */
const LOCAL_CONTROL_MAX_BODY = 64 * 1024;

/**
 * `GET /_local/endpoints` (the endpoints and the fault modes), `POST /_local/endpoints/{id}/fault`
 * `{"mode":"down"|"error"|"slow"|"cut"|"ok"}`.
 */
function localControl(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  body: Buffer | undefined,
  sim: Awaited<ReturnType<typeof startSimEndpoints>>,
): void {
  const [status, value] = localControlAnswer(req.method ?? 'GET', path, body, sim);
  // An oversized body is left unread, so the connection is closed after the answer.
  res.writeHead(status, { 'content-type': 'application/json', ...(body ? {} : { connection: 'close' }) });
  res.end(JSON.stringify(value));
}

function localControlAnswer(
  method: string,
  path: string,
  body: Buffer | undefined,
  sim: Awaited<ReturnType<typeof startSimEndpoints>>,
): [number, unknown] {
  const error = (status: number, message: string, code: string): [number, unknown] => [
    status,
    { error: { message, type: 'invalid_request_error', param: null, code } },
  ];
  if (body === undefined) {
    return error(
      413,
      `A /_local body may hold at most ${describeBytes(LOCAL_CONTROL_MAX_BODY)}.`,
      'payload_too_large',
    );
  }
  if (method === 'GET' && path === '/_local/endpoints') {
    return [200, { data: sim.list(), fault_modes: SIM_FAULT_MODES }];
  }
  const m = /^\/_local\/endpoints\/([^/]+)\/fault$/.exec(path);
  if (!m || method !== 'POST') return error(404, `No local route ${method} ${path}.`, 'not_found');
  let id: string;
  try {
    id = decodeURIComponent(m[1] as string);
  } catch {
    return error(404, `No local route ${method} ${path}: malformed percent-encoding.`, 'not_found');
  }
  let mode: unknown;
  try {
    mode = (JSON.parse(body.toString('utf8') || '{}') as { mode?: unknown }).mode;
  } catch {
    return error(400, 'Body must be JSON: {"mode":"down"|"error"|"slow"|"cut"|"ok"}.', 'invalid_json');
  }
  if (!SIM_FAULT_MODES.includes(mode as SimFaultMode)) {
    return error(400, 'mode must be one of "down", "error", "slow", "cut", "ok".', 'invalid_mode');
  }
  if (!sim.list().some((e) => e.id === id)) return error(404, `No simulated endpoint "${id}".`, 'not_found');
  sim.setFault(id, mode as SimFaultMode);
  return [200, { id, mode }];
}

/** Binds every resource to a placeholder so unrelated references resolve; specific kinds override. */
function bindGeneric(stacks: readonly CfnStack[], resolver: CfnResolver): void {
  for (const s of stacks) {
    for (const [id, r] of Object.entries(s.template.Resources)) {
      const service = r.Type.split('::')[1]?.toLowerCase() ?? 'local';
      const arn = `arn:aws:${service}:${REGION}:${ACCOUNT}:${id}`;
      resolver.bind(s.name, id, {
        ref: id,
        attrs: new Proxy({ Arn: arn } as Record<string, string>, {
          get: (target, prop) => (typeof prop === 'string' ? (target[prop] ?? `${id}.${prop}`) : undefined),
        }),
      });
      if (r.Type === 'AWS::Lambda::Function') {
        const fnArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
        resolver.bind(s.name, id, { ref: id, attrs: { Arn: fnArn } });
      }
      if (r.Type === 'AWS::IAM::Role') {
        const roleArn = `arn:aws:iam::${ACCOUNT}:role/${id}`;
        resolver.bind(s.name, id, { ref: id, attrs: { Arn: roleArn, RoleId: `AROA${id}` } });
      }
    }
  }
}

async function createTables(
  stacks: readonly CfnStack[],
  resolver: CfnResolver,
  ddb: DynamoDBClient,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of resourcesOfType(stacks, 'AWS::DynamoDB::Table')) {
    const p = resolver.resolve(t.stack, t.resource.Properties ?? {}) as Record<string, unknown>;
    const name = String(p.TableName ?? t.id);
    const input: CreateTableCommandInput = {
      TableName: name,
      KeySchema: p.KeySchema as CreateTableCommandInput['KeySchema'],
      AttributeDefinitions: p.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
      BillingMode: 'PAY_PER_REQUEST',
      ...(p.GlobalSecondaryIndexes
        ? {
            GlobalSecondaryIndexes: (p.GlobalSecondaryIndexes as Array<Record<string, unknown>>).map((g) => ({
              IndexName: g.IndexName as string,
              KeySchema: g.KeySchema as CreateTableCommandInput['KeySchema'],
              Projection: g.Projection as { ProjectionType: 'ALL' },
            })),
          }
        : {}),
    };
    await ddb.send(new CreateTableCommand(input));
    const arn = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
    resolver.bind(t.stack, t.id, { ref: name, attrs: { Arn: arn, StreamArn: `${arn}/stream/local` } });
    out[t.id] = name;
  }
  return out;
}

async function createQueues(
  stacks: readonly CfnStack[],
  resolver: CfnResolver,
  sqs: SQSClient,
  visibilityTimeoutSeconds?: number,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const pending = resourcesOfType(stacks, 'AWS::SQS::Queue');
  // Dead-letter queues first: a queue's redrive policy names its DLQ's ARN.
  pending.sort(
    (a, b) =>
      Number(Boolean(a.resource.Properties?.RedrivePolicy)) -
      Number(Boolean(b.resource.Properties?.RedrivePolicy)),
  );
  for (const q of pending) {
    const p = resolver.resolve(q.stack, q.resource.Properties ?? {}) as Record<string, unknown>;
    const name = String(p.QueueName ?? q.id);
    const attributes: Record<string, string> = {};
    for (const key of [
      'VisibilityTimeout',
      'MessageRetentionPeriod',
      'DelaySeconds',
      'ReceiveMessageWaitTimeSeconds',
    ]) {
      if (p[key] !== undefined) attributes[key] = String(p[key]);
    }
    if (visibilityTimeoutSeconds !== undefined)
      attributes.VisibilityTimeout = String(visibilityTimeoutSeconds);
    if (p.RedrivePolicy) attributes.RedrivePolicy = JSON.stringify(p.RedrivePolicy);
    const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const url = created.QueueUrl as string;
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    const arn = attrs.Attributes?.QueueArn ?? `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
    resolver.bind(q.stack, q.id, { ref: url, attrs: { Arn: arn, QueueName: name, QueueUrl: url } });
    out[q.id] = url;
  }
  return out;
}

function functionSpecs(stacks: readonly CfnStack[], resolver: CfnResolver): LocalFunctionSpec[] {
  const out: LocalFunctionSpec[] = [];
  for (const f of resourcesOfType(stacks, 'AWS::Lambda::Function')) {
    const entry = f.resource.Metadata?.['switchyard:entry'];
    if (typeof entry !== 'string') continue; // CDK's own helper functions (e.g. log retention) are not ours.
    const p = f.resource.Properties ?? {};
    const env = resolver.resolve(
      f.stack,
      (p.Environment as { Variables?: unknown } | undefined)?.Variables ?? {},
    );
    out.push({
      logicalId: f.id,
      name: f.id,
      arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${f.id}`,
      entry,
      handlerName: String(f.resource.Metadata?.['switchyard:handler'] ?? 'handler'),
      env: Object.fromEntries(Object.entries(env as Record<string, unknown>).map(([k, v]) => [k, String(v)])),
      timeoutSeconds: Number(p.Timeout ?? 3),
      memoryMb: Number(p.MemorySize ?? 128),
    });
  }
  return out;
}

function sqsMappings(stacks: readonly CfnStack[], resolver: CfnResolver): SqsMappingSpec[] {
  return resourcesOfType(stacks, 'AWS::Lambda::EventSourceMapping').map((m) => {
    const p = m.resource.Properties ?? {};
    const arn = resolver.resolveString(m.stack, p.EventSourceArn);
    const queue = resourcesOfType(stacks, 'AWS::SQS::Queue')
      .map((q) => resolver.physicalOf(q.stack, q.id))
      .find((q) => q?.attrs.Arn === arn);
    if (!queue) throw new Error(`event source mapping ${m.id}: no local queue ${arn}`);
    const scaling = p.ScalingConfig as { MaximumConcurrency?: number } | undefined;
    return {
      functionLogicalId: referencedId(p.FunctionName) as string,
      queueUrl: queue.ref,
      queueArn: queue.attrs.Arn as string,
      batchSize: Number(p.BatchSize ?? 10),
      batchingWindowSeconds: Number(p.MaximumBatchingWindowInSeconds ?? 0),
      reportBatchItemFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes(
        'ReportBatchItemFailures',
      ),
      concurrency: Math.min(2, Number(scaling?.MaximumConcurrency ?? 2)),
    };
  });
}

const TERMINAL_EXECUTION_EVENTS = new Set([
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionTimedOut',
  'ExecutionAborted',
]);

/** EventBridge's "Step Functions Execution Status Change" event for an execution that ended. */
function executionStatusChange(x: ExecutionRecord): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: ACCOUNT,
    time: (x.stopDate ?? new Date()).toISOString(),
    region: REGION,
    resources: [x.executionArn],
    detail: {
      executionArn: x.executionArn,
      stateMachineArn: x.stateMachineArn,
      name: x.name,
      status: x.status,
      startDate: x.startDate.getTime(),
      stopDate: x.stopDate?.getTime() ?? null,
      input: x.input,
      output: x.output ?? null,
      error: x.error ?? null,
      cause: x.cause ?? null,
    },
  };
}

/** Rules with an event pattern and Lambda targets (schedules are `scheduleSpecs`). */
function eventRuleSpecs(stacks: readonly CfnStack[], resolver: CfnResolver): EventRuleSpec[] {
  const out: EventRuleSpec[] = [];
  for (const r of resourcesOfType(stacks, 'AWS::Events::Rule')) {
    const p = r.resource.Properties ?? {};
    if (!p.EventPattern) continue;
    const pattern = resolver.resolve(r.stack, p.EventPattern) as Record<string, unknown>;
    for (const target of (p.Targets as Array<{ Arn: unknown }> | undefined) ?? []) {
      const fn = referencedId(target.Arn);
      if (fn) out.push({ ruleLogicalId: r.id, pattern, functionLogicalId: fn });
    }
  }
  return out;
}

function scheduleSpecs(stacks: readonly CfnStack[], resolver: CfnResolver): ScheduleSpec[] {
  const out: ScheduleSpec[] = [];
  for (const r of resourcesOfType(stacks, 'AWS::Events::Rule')) {
    const p = r.resource.Properties ?? {};
    if (typeof p.ScheduleExpression !== 'string') continue;
    for (const target of (p.Targets as Array<{ Arn: unknown; Input?: string }> | undefined) ?? []) {
      const fn = referencedId(target.Arn);
      if (!fn) continue;
      out.push({
        ruleLogicalId: r.id,
        ruleArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${r.id}`,
        functionLogicalId: fn,
        intervalMs: scheduleIntervalMs(p.ScheduleExpression),
        ...(target.Input ? { input: JSON.parse(String(resolver.resolve(r.stack, target.Input))) } : {}),
      });
    }
  }
  return out;
}

/**
 * Who the local admin key signs in as: a session of the first admin principal the admin function
 * admits (the stack's admin role), as API Gateway reports a SigV4 caller that assumed it.
 */
function localAdminIdentity(functions: readonly LocalFunctionSpec[]): string {
  const admins = functions.find((f) => f.env.ADMIN_PRINCIPAL_ARNS !== undefined)?.env.ADMIN_PRINCIPAL_ARNS;
  const role = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(admins?.split(',')[0] ?? '');
  return role
    ? `arn:aws:sts::${role[1]}:assumed-role/${role[2]}/local-admin`
    : `arn:aws:sts::${ACCOUNT}:assumed-role/local-admin/local-admin`;
}

/** The table whose logical id mentions `word` (registry, health, jobs, keys, tenants). */
function tableNamed(tables: Record<string, string>, word: string): string {
  const hit = Object.entries(tables).find(([id]) => id.toLowerCase().includes(word));
  if (!hit) throw new Error(`local stack: the templates define no ${word} table`);
  return hit[1];
}

/** Points every simulated endpoint at the local simulator; SageMaker ones keep their names. */
function rewriteTargets(registry: Registry, simUrl: string, local: LocalConfig): Registry {
  return {
    ...registry,
    endpoints: registry.endpoints.map((e) =>
      local.endpoints[e.id]?.simulate === false || e.kind !== 'openai-http'
        ? e
        : { ...e, target: `${simUrl}/${encodeURIComponent(e.id)}/v1` },
    ),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((ok) => {
    server.close(() => ok());
    server.closeAllConnections();
  });
}
