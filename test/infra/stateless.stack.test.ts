// Template assertions on the stateless stack: the functions (runtime, architecture, layers,
// log retention, metadata the local stack binds by, environment), least-privilege grants, the
// health-check schedule, the worker's event sources, and the API (authorizer, API keys, usage
// plan, OpenAI-shaped gateway errors, access logs).
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Period } from 'aws-cdk-lib/aws-apigateway';
import { describe, expect, it } from 'vitest';
import {
  type CfnResource,
  functionByEntry,
  functionEnv,
  type Json,
  props,
  render,
  resources,
  roleOf,
  roleStatements,
  statementsFor,
  synthApp,
  synthStacks,
  type TableId,
  tableActions,
  tableArn,
  token,
} from './template.helpers.ts';

const { statelessTemplate: template } = synthApp();

const ENTRIES = {
  authorizer: 'functions/authorizer/authorizer.handler.ts',
  router: 'functions/router/router.handler.ts',
  healthCheck: 'functions/health-check/health-check.handler.ts',
  worker: 'functions/worker/worker.handler.ts',
  plan: 'functions/job-steps/plan.handler.ts',
  invoke: 'functions/job-steps/invoke.handler.ts',
  record: 'functions/job-steps/record.handler.ts',
  notify: 'functions/job-steps/notify.handler.ts',
  jobs: 'functions/jobs/jobs.handler.ts',
  deadLetter: 'functions/dead-letter/dead-letter.handler.ts',
  jobWatch: 'functions/job-watch/execution-ended.handler.ts',
  admin: 'functions/admin/admin.handler.ts',
  rolloutSteps: 'functions/rollout-steps/rollout-steps.handler.ts',
  budgetSweeper: 'functions/budget-sweeper/budget-sweeper.handler.ts',
  usage: 'functions/usage/usage.handler.ts',
  usageExport: 'functions/usage-export/usage-export.handler.ts',
  feedback: 'functions/feedback/feedback.handler.ts',
  refit: 'functions/refit/refit.handler.ts',
} as const;

const SAGEMAKER_ARNS = ['switchyard-model-a', 'switchyard-model-c'].map(
  (name) =>
    `arn:${token('AWS::Partition')}:sagemaker:${token('AWS::Region')}:${token('AWS::AccountId')}:endpoint/${name}`,
);

const env = (entry: string) => functionEnv(template, entry);

/** DynamoDB actions of `entry` on a table, without the stream reads CDK's read grants add. */
function dynamoStatements(entry: string, table: TableId): string[] {
  return tableActions(template, entry, table).filter(
    (a) => a !== 'dynamodb:GetRecords' && a !== 'dynamodb:GetShardIterator',
  );
}

/** X-Ray trace upload (functions) and sampling (state machines): resource `*`, X-Ray has no resource ARNs. */
const XRAY_ACTIONS = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const isXray = (s: { Action: string[] }) => s.Action.every((a) => a.startsWith('xray:'));
/** A role's statements without the X-Ray one. */
const withoutXray = <T extends { Action: string[] }>(statements: T[]): T[] =>
  statements.filter((s) => !isXray(s));

const WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

describe('functions', () => {
  it('run on standard Lambda by default: no capacity provider, no VPC, the router at 1024 MB', () => {
    expect(resources(template, 'AWS::Lambda::CapacityProvider')).toEqual([]);
    expect(resources(template, 'AWS::EC2::VPC')).toEqual([]);
    const { fn } = functionByEntry(template, ENTRIES.router);
    expect(props(fn).MemorySize).toBe(1024);
    expect(props(fn).CapacityProviderConfig).toBeUndefined();
  });

  it('are exactly the listed handlers, each bound by metadata to its file and export', () => {
    const bound = resources(template, 'AWS::Lambda::Function').map(([, r]) => [
      r.Metadata?.['switchyard:entry'],
      r.Metadata?.['switchyard:handler'],
    ]);
    expect(bound.sort()).toEqual(
      Object.values(ENTRIES)
        .map((e) => [e, 'handler'])
        .sort(),
    );
  });

  const { router: _router, ...layered } = ENTRIES;
  it.each(Object.entries(layered))(
    '%s: Node.js 22 on arm64, ESM bundle, both layers, source maps',
    (_, entry) => {
      const p = functionByEntry(template, entry).fn.Properties ?? {};
      expect(p.Runtime).toBe('nodejs22.x');
      expect(p.Architectures).toEqual(['arm64']);
      expect(p.Handler).toBe('index.handler');
      const layers = (p.Layers as Json[]).map(render).sort();
      expect(layers).toHaveLength(2);
      expect(layers[0]).toMatch(/^\$\{LayersAdapters[0-9A-F]{8}\}$/);
      expect(layers[1]).toMatch(/^\$\{LayersCore[0-9A-F]{8}\}$/);
      expect(env(entry)).toMatchObject({
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'switchyard',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      });
    },
  );

  it('router: Node.js 22 on arm64, self-contained (no layers), no source-map parsing at init', () => {
    const p = functionByEntry(template, ENTRIES.router).fn.Properties ?? {};
    expect(p.Runtime).toBe('nodejs22.x');
    expect(p.Architectures).toEqual(['arm64']);
    expect(p.Handler).toBe('index.handler');
    expect(p.Layers).toBeUndefined();
    expect(env(ENTRIES.router).NODE_OPTIONS).toBeUndefined();
    expect(env(ENTRIES.router)).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'switchyard',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  });

  it.each(Object.entries(ENTRIES))('%s: logs to its own log group kept one month', (_, entry) => {
    const logGroupRef = render(
      (props(functionByEntry(template, entry).fn).LoggingConfig as { LogGroup: Json }).LogGroup,
    );
    const id = logGroupRef.slice(2, -1);
    const group = template.toJSON().Resources[id] as CfnResource;
    expect(group.Type).toBe('AWS::Logs::LogGroup');
    expect(group.Properties?.RetentionInDays).toBe(30);
  });

  it('attach layers built for Node.js 22 on arm64', () => {
    template.resourceCountIs('AWS::Lambda::LayerVersion', 2);
    template.allResourcesProperties('AWS::Lambda::LayerVersion', {
      CompatibleRuntimes: ['nodejs22.x'],
      CompatibleArchitectures: ['arm64'],
    });
  });

  it('get only the variables they use', () => {
    const names = (entry: string) =>
      Object.keys(env(entry))
        .filter((k) => !k.startsWith('POWERTOOLS_') && k !== 'NODE_OPTIONS')
        .sort();
    expect(names(ENTRIES.authorizer)).toEqual(['API_KEYS_TABLE']);
    expect(names(ENTRIES.router)).toEqual([
      'BUDGETS_TABLE',
      'DECISIONS_TABLE',
      'HEALTH_CACHE_TTL_MS',
      'HEALTH_TABLE',
      'MAX_BODY_BYTES',
      'REGISTRY_CACHE_TTL_MS',
      'REGISTRY_TABLE',
      'TENANTS_TABLE',
      'USAGE_TABLE',
    ]);
    expect(env(ENTRIES.router)).toMatchObject({ MAX_BODY_BYTES: '1048576' });
    expect(names(ENTRIES.feedback)).toEqual(['DECISIONS_TABLE']);
    expect(names(ENTRIES.refit)).toEqual(['DECISIONS_TABLE', 'REGISTRY_CACHE_TTL_MS', 'REGISTRY_TABLE']);
    expect(names(ENTRIES.healthCheck)).toEqual([
      'HEALTH_TABLE',
      'PROBE_INTERVAL_MS',
      'PROBE_ROUNDS',
      'REGISTRY_TABLE',
    ]);
    expect(env(ENTRIES.healthCheck)).toMatchObject({ PROBE_ROUNDS: '4', PROBE_INTERVAL_MS: '15000' });
    expect(names(ENTRIES.admin)).toEqual([
      'ADMIN_PRINCIPAL_ARNS',
      'API_KEYS_TABLE',
      'HEALTH_TABLE',
      'REGISTRY_TABLE',
      'ROLLOUTS_TABLE',
      'ROLLOUT_WORKFLOW_ARN',
      'TENANTS_TABLE',
      'USAGE_PLAN_NAMES',
      'USAGE_TABLE',
    ]);
    expect(JSON.parse(env(ENTRIES.admin).USAGE_PLAN_NAMES as string)).toEqual({
      free: 'SwitchyardStateless-free',
      standard: 'SwitchyardStateless-standard',
      enterprise: 'SwitchyardStateless-enterprise',
    });
    expect(names(ENTRIES.rolloutSteps)).toEqual([
      'DECISIONS_TABLE',
      'HEALTH_TABLE',
      'REGISTRY_TABLE',
      'ROLLOUTS_TABLE',
    ]);
    expect(names(ENTRIES.worker)).toEqual([
      'JOBS_TABLE',
      'JOB_PRIORITY_WAIT_MS',
      'JOB_QUEUE_HIGH_URL',
      'JOB_QUEUE_LOW_URL',
      'JOB_QUEUE_NORMAL_URL',
      'JOB_WORKFLOW_ARN',
    ]);
    expect(names(ENTRIES.jobs)).toEqual([
      'BUDGETS_TABLE',
      'JOBS_TABLE',
      'JOB_MAX_BODY_BYTES',
      'JOB_QUEUE_HIGH_URL',
      'JOB_QUEUE_LOW_URL',
      'JOB_QUEUE_NORMAL_URL',
      'REGISTRY_CACHE_TTL_MS',
      'REGISTRY_TABLE',
      'TENANTS_TABLE',
    ]);
    expect(env(ENTRIES.jobs)).toMatchObject({ JOB_MAX_BODY_BYTES: '262144' });
    expect(names(ENTRIES.deadLetter)).toEqual(['JOBS_TABLE', 'JOB_MAX_RECEIVE_COUNT', 'TENANTS_TABLE']);
    expect(names(ENTRIES.jobWatch)).toEqual(['JOBS_TABLE', 'TENANTS_TABLE']);
    expect(names(ENTRIES.notify)).toEqual(['JOBS_TABLE', 'TENANTS_TABLE']);
    const routing = [
      'HEALTH_CACHE_TTL_MS',
      'HEALTH_TABLE',
      'JOBS_TABLE',
      'REGISTRY_CACHE_TTL_MS',
      'REGISTRY_TABLE',
    ];
    expect(names(ENTRIES.plan)).toEqual(
      ['BUDGETS_TABLE', ...routing, 'JOB_BUDGET_HOLD_TTL_MS', 'TENANTS_TABLE'].sort(),
    );
    // The execution's hour, one invoke (60 s) and 5 minutes.
    expect(env(ENTRIES.plan).JOB_BUDGET_HOLD_TTL_MS).toBe('3960000');
    expect(names(ENTRIES.invoke)).toEqual([...routing, 'USAGE_TABLE']);
    expect(names(ENTRIES.record)).toEqual(['BUDGETS_TABLE', 'JOBS_TABLE', 'USAGE_TABLE']);
    expect(names(ENTRIES.budgetSweeper)).toEqual(['BUDGETS_TABLE', 'SWEEP_CONCURRENCY']);
    expect(env(ENTRIES.router).REGISTRY_CACHE_TTL_MS).toBe('5000');
    expect(env(ENTRIES.router).HEALTH_CACHE_TTL_MS).toBe('2000');
    expect(render(env(ENTRIES.worker).JOB_WORKFLOW_ARN)).toMatch(
      /^\$\{JobWorkflowStateMachine[0-9A-F]{8}\}$/,
    );
  });

  it('give every shared variable one value across functions (the local stack shares one process.env)', () => {
    const seen = new Map<string, string>();
    for (const entry of Object.values(ENTRIES)) {
      for (const [k, v] of Object.entries(env(entry))) {
        const value = render(v);
        expect(seen.get(k) ?? value, k).toBe(value);
        seen.set(k, value);
      }
    }
  });
});

describe('least-privilege grants', () => {
  it('authorizer: only GetItem on the API keys table, nothing else', () => {
    const { fn } = functionByEntry(template, ENTRIES.authorizer);
    const statements = withoutXray(roleStatements(template, roleOf(fn)));
    expect(statements).toHaveLength(1);
    expect(statements[0]?.Action).toEqual(['dynamodb:GetItem']);
    expect(statements[0]?.Resource).toHaveLength(1);
    expect(statements[0]?.Resource[0]).toMatch(tableArn('ApiKeys'));
  });

  it('router: reads the registry, reads and writes health, never touches jobs or API keys', () => {
    expect(dynamoStatements(ENTRIES.router, 'Registry')).toContain('dynamodb:GetItem');
    expect(dynamoStatements(ENTRIES.router, 'Registry')).not.toEqual(
      expect.arrayContaining(['dynamodb:PutItem']),
    );
    expect(dynamoStatements(ENTRIES.router, 'Health')).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem']),
    );
    expect(dynamoStatements(ENTRIES.router, 'Jobs')).toEqual([]);
    expect(dynamoStatements(ENTRIES.router, 'ApiKeys')).toEqual([]);
    const { fn } = functionByEntry(template, ENTRIES.router);
    const all = roleStatements(template, roleOf(fn));
    expect(all.flatMap((s) => s.Action).filter((a) => /^(states|sqs|lambda):/.test(a))).toEqual([]);
  });

  it.each([
    ['router', ENTRIES.router, ['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointWithResponseStream']],
    ['invoke step', ENTRIES.invoke, ['sagemaker:InvokeEndpoint']],
    ['health check', ENTRIES.healthCheck, ['sagemaker:DescribeEndpoint', 'sagemaker:InvokeEndpoint']],
  ])('%s: SageMaker actions only on the endpoints the registry file names', (_, entry, actions) => {
    const statements = statementsFor(template, entry, 'sagemaker:');
    expect(statements.flatMap((s) => s.Action).sort()).toEqual([...actions].sort());
    for (const s of statements) expect(s.Resource.sort()).toEqual(SAGEMAKER_ARNS);
  });

  it('no other function may call SageMaker', () => {
    for (const entry of [ENTRIES.authorizer, ENTRIES.worker, ENTRIES.plan, ENTRIES.record]) {
      expect(statementsFor(template, entry, 'sagemaker:')).toEqual([]);
    }
  });

  it('worker: states:StartExecution on the workflow only; jobs get/update; consumes the three queues', () => {
    const states = statementsFor(template, ENTRIES.worker, 'states:');
    expect(states).toHaveLength(1);
    expect(states[0]?.Action).toEqual(['states:StartExecution']);
    expect(states[0]?.Resource).toHaveLength(1);
    expect(states[0]?.Resource[0]).toMatch(/^\$\{JobWorkflowStateMachine[0-9A-F]{8}\}$/);
    expect(dynamoStatements(ENTRIES.worker, 'Jobs').sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
    expect(dynamoStatements(ENTRIES.worker, 'Registry')).toEqual([]);
    const queues = statementsFor(template, ENTRIES.worker, 'sqs:').flatMap((s) => s.Resource);
    expect(
      queues
        .map((q) => q.replace(/^.*ExportsOutputFnGetAttJobQueues([A-Za-z]+?)[0-9A-F]{8}Arn.*$/, '$1'))
        .sort(),
    ).toEqual(['High', 'Low', 'Normal']);
    const sqsActions = new Set(statementsFor(template, ENTRIES.worker, 'sqs:').flatMap((s) => s.Action));
    expect(sqsActions.has('sqs:SendMessage')).toBe(false);
  });

  it('job steps: plan and invoke read the registry; record touches only the jobs and usage tables', () => {
    expect(dynamoStatements(ENTRIES.plan, 'Registry')).toContain('dynamodb:GetItem');
    expect(dynamoStatements(ENTRIES.plan, 'Health')).not.toEqual(
      expect.arrayContaining(['dynamodb:PutItem']),
    );
    expect(dynamoStatements(ENTRIES.invoke, 'Registry')).toContain('dynamodb:GetItem');
    expect(dynamoStatements(ENTRIES.invoke, 'Health')).toEqual(expect.arrayContaining(['dynamodb:PutItem']));
    for (const step of [ENTRIES.plan, ENTRIES.invoke, ENTRIES.record]) {
      expect(dynamoStatements(step, 'Jobs')).toEqual(expect.arrayContaining(WRITE_ACTIONS));
      expect(dynamoStatements(step, 'ApiKeys')).toEqual([]);
    }
    const { fn } = functionByEntry(template, ENTRIES.record);
    const record = withoutXray(roleStatements(template, roleOf(fn)));
    expect(
      record.every((s) =>
        s.Resource.every(
          (r) => tableArn('Jobs').test(r) || tableArn('Usage').test(r) || tableArn('Budgets').test(r),
        ),
      ),
    ).toBe(true);
    // Jobs are metered: invoke (served) and record (failed) put usage records, and only put them.
    for (const step of [ENTRIES.invoke, ENTRIES.record]) {
      expect(tableActions(template, step, 'Usage'), step).toEqual(['dynamodb:PutItem']);
    }
    expect(tableActions(template, ENTRIES.plan, 'Usage')).toEqual([]);
  });

  it('state machine role: may invoke only the four step functions', () => {
    const [[, machine]] = resources(template, 'AWS::StepFunctions::StateMachine') as [[string, CfnResource]];
    const statements = roleStatements(
      template,
      render(machine.Properties?.RoleArn).slice(2, -1).split('.')[0] as string,
    );
    const lambda = statements.filter((s) => s.Action.some((a) => a.startsWith('lambda:')));
    expect(new Set(lambda.flatMap((s) => s.Action))).toEqual(new Set(['lambda:InvokeFunction']));
    const targets = new Set(
      lambda.flatMap((s) => s.Resource).map((r) => r.replace(/^\$\{(\w+)\.Arn\}(:\*)?$/, '$1')),
    );
    const steps = [ENTRIES.plan, ENTRIES.invoke, ENTRIES.record, ENTRIES.notify].map(
      (e) => functionByEntry(template, e).id,
    );
    expect(targets).toEqual(new Set(steps));
    // The only wildcards are the log-delivery statement AWS requires for vended logs, and X-Ray.
    const wildcard = statements.filter((s) => s.Resource.includes('*')).flatMap((s) => s.Action);
    expect(wildcard.filter((a) => !a.startsWith('logs:')).sort()).toEqual([
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  it('no function role has a wildcard resource, but for X-Ray trace upload', () => {
    for (const entry of Object.values(ENTRIES)) {
      const { fn } = functionByEntry(template, entry);
      for (const s of withoutXray(roleStatements(template, roleOf(fn))))
        expect(s.Resource, entry).not.toContain('*');
    }
  });

  it('every function and state machine is traced with X-Ray, and may upload only traces with *', () => {
    for (const entry of Object.values(ENTRIES)) {
      const { fn } = functionByEntry(template, entry);
      expect(props(fn).TracingConfig, entry).toEqual({ Mode: 'Active' });
      const xray = roleStatements(template, roleOf(fn)).filter((s) =>
        s.Action.some((a) => a.startsWith('xray:')),
      );
      expect(xray, entry).toEqual([{ Effect: 'Allow', Action: XRAY_ACTIONS, Resource: ['*'] }]);
    }
    const machines = resources(template, 'AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(2);
    for (const [, m] of machines) expect(props(m).TracingConfiguration).toEqual({ Enabled: true });
  });

  it('traces carry no payloads: Powertools Tracer captures neither responses nor errors', () => {
    for (const entry of Object.values(ENTRIES)) {
      expect(env(entry).POWERTOOLS_TRACER_CAPTURE_RESPONSE, entry).toBe('false');
      expect(env(entry).POWERTOOLS_TRACER_CAPTURE_ERROR, entry).toBe('false');
    }
  });
});

/** `entry` runs on an EventBridge schedule every minute, without piling up retries; its logical id. */
function expectEveryMinute(entry: string): string {
  const { id } = functionByEntry(template, entry);
  template.hasResourceProperties('AWS::Events::Rule', {
    ScheduleExpression: 'rate(1 minute)',
    State: 'ENABLED',
    Targets: [
      Match.objectLike({
        Arn: { 'Fn::GetAtt': [id, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
      }),
    ],
  });
  template.hasResourceProperties('AWS::Lambda::Permission', {
    Action: 'lambda:InvokeFunction',
    Principal: 'events.amazonaws.com',
    FunctionName: { 'Fn::GetAtt': [id, 'Arn'] },
  });
  return id;
}

describe('health-check schedule', () => {
  it('runs the health-check function every minute, without piling up retries', () => {
    expectEveryMinute(ENTRIES.healthCheck);
  });
});

describe('budget sweeper', () => {
  it('runs every minute, without piling up retries', () => {
    expect(expectEveryMinute(ENTRIES.budgetSweeper)).toMatch(/^BudgetSweeperFunction[0-9A-F]{8}$/);
    expect(env(ENTRIES.budgetSweeper).SWEEP_CONCURRENCY).toBe('8');
    expect(render(env(ENTRIES.budgetSweeper).BUDGETS_TABLE)).toMatch(
      /^\$\{import:SwitchyardStateful:ExportsOutputRefTablesBudgets[0-9A-F]{8}/,
    );
  });

  it('may only get and update budget items and query the open-periods index', () => {
    const statements = statementsFor(template, ENTRIES.budgetSweeper, 'dynamodb:');
    expect(statements.map((st) => st.Action.sort())).toEqual([
      ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      ['dynamodb:Query'],
    ]);
    const [items, index] = statements;
    expect(items?.Resource).toHaveLength(1);
    expect(items?.Resource[0]).toMatch(new RegExp(`${tableArn('Budgets').source}[^/]*$`));
    expect(index?.Resource).toHaveLength(1);
    expect(index?.Resource[0]).toMatch(new RegExp(`${tableArn('Budgets').source}.*/index/open-periods$`));
    for (const other of ['Registry', 'Health', 'Jobs', 'ApiKeys', 'Rollouts'] as const) {
      expect(tableActions(template, ENTRIES.budgetSweeper, other)).toEqual([]);
    }
  });

  it('the router and the job plan and record steps read, create and conditionally update budget periods; POST /v1/jobs only reads them; no other function touches them', () => {
    for (const entry of [ENTRIES.router, ENTRIES.plan, ENTRIES.record]) {
      expect(tableActions(template, entry, 'Budgets'), entry).toEqual([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ]);
    }
    expect(tableActions(template, ENTRIES.jobs, 'Budgets')).toEqual(['dynamodb:GetItem']);
    const touching = new Set(['budgetSweeper', 'router', 'plan', 'record', 'jobs']);
    for (const [name, entry] of Object.entries(ENTRIES)) {
      if (!touching.has(name)) expect(tableActions(template, entry, 'Budgets'), name).toEqual([]);
    }
  });

  it('the router only puts usage records (it never reads or deletes them)', () => {
    expect(tableActions(template, ENTRIES.router, 'Usage')).toEqual(['dynamodb:PutItem']);
  });
});

describe('async worker', () => {
  it('is fed by the three job queues in batches with partial batch failures', () => {
    const { id } = functionByEntry(template, ENTRIES.worker);
    const mappings = resources(template, 'AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => render(m.Properties?.FunctionName) === `\${${id}}`,
    );
    expect(mappings).toHaveLength(3);
    const sources = mappings.map(([, m]) => {
      expect(m.Properties).toMatchObject({
        FunctionName: { Ref: id },
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      return render(m.Properties?.EventSourceArn).replace(/^.*JobQueues([A-Za-z]+?)[0-9A-F]{8}Arn.*$/, '$1');
    });
    expect(sources.sort()).toEqual(['High', 'Low', 'Normal']);
  });

  it('finishes a batch well within the queues visibility timeout', () => {
    const { fn } = functionByEntry(template, ENTRIES.worker);
    expect(fn.Properties?.Timeout).toBe(30);
  });
});

describe('consumer API', () => {
  const [[apiId, api]] = resources(template, 'AWS::ApiGateway::RestApi') as [[string, CfnResource]];
  const [[authorizerId, authorizer]] = resources(template, 'AWS::ApiGateway::Authorizer') as [
    [string, CfnResource],
  ];

  /** Full path of an AWS::ApiGateway::Resource by walking ParentId up to the root. */
  function pathOf(resourceRef: Json | undefined): string {
    const ref = render(resourceRef);
    if (ref === `\${${apiId}.RootResourceId}`) return '';
    const res = template.toJSON().Resources[ref.slice(2, -1)] as CfnResource;
    return `${pathOf(res.Properties?.ParentId)}/${String(res.Properties?.PathPart)}`;
  }

  const methods = resources(template, 'AWS::ApiGateway::Method').map(([, m]) => ({
    route: `${String(m.Properties?.HttpMethod)} ${pathOf(m.Properties?.ResourceId)}`,
    props: m.Properties ?? {},
  }));

  // The /admin routes are the admin function's, with IAM auth (admin-api.test.ts).
  const consumer = methods.filter((m) => !m.route.includes(' /admin'));

  it('has the consumer routes, proxied to the router (jobs: to the jobs function; usage: to its own)', () => {
    const { id: routerId } = functionByEntry(template, ENTRIES.router);
    const { id: jobsId } = functionByEntry(template, ENTRIES.jobs);
    const { id: usageId } = functionByEntry(template, ENTRIES.usage);
    const { id: feedbackId } = functionByEntry(template, ENTRIES.feedback);
    expect(consumer.map((m) => m.route).sort()).toEqual([
      'GET /v1/jobs/{id}',
      'GET /v1/models',
      'GET /v1/usage',
      'POST /v1/chat/completions',
      'POST /v1/completions',
      'POST /v1/embeddings',
      'POST /v1/feedback',
      'POST /v1/invocations',
      'POST /v1/jobs',
      'POST /v1/route',
    ]);
    for (const m of consumer) {
      const integration = m.props.Integration as Record<string, Json>;
      expect(integration.Type).toBe('AWS_PROXY');
      if (m.route.includes('/v1/jobs') || m.route.includes('/v1/usage') || m.route.includes('/v1/feedback')) {
        const fn = m.route.includes('/v1/jobs')
          ? jobsId
          : m.route.includes('/v1/usage')
            ? usageId
            : feedbackId;
        expect(render(integration.Uri)).toContain(`/2015-03-31/functions/\${${fn}.Arn}/invocations`);
        expect(integration.ResponseTransferMode).toBeUndefined();
        expect(integration.TimeoutInMillis).toBeUndefined();
      } else {
        // The router streams: InvokeWithResponseStream's own URI, STREAM mode, streams up to 15 minutes.
        expect(render(integration.Uri), m.route).toContain(
          `/2021-11-15/functions/\${${routerId}.Arn}/response-streaming-invocations`,
        );
        expect(integration.ResponseTransferMode, m.route).toBe('STREAM');
        expect(integration.TimeoutInMillis, m.route).toBe(900_000);
      }
    }
  });

  it('lets API Gateway invoke the router (lambda:InvokeFunction covers InvokeWithResponseStream) per route', () => {
    const { id: routerId } = functionByEntry(template, ENTRIES.router);
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter((p) =>
      render((p.Properties as Record<string, Json>).FunctionName).includes(routerId),
    );
    const props = permissions.map((p) => p.Properties as Record<string, Json>);
    expect(props.length).toBe(6);
    for (const p of props) {
      expect(p.Action).toBe('lambda:InvokeFunction');
      expect(p.Principal).toBe('apigateway.amazonaws.com');
      expect(render(p.SourceArn)).toMatch(/\/(GET|POST)\/v1\/[a-z/]+$/);
      expect(render(p.SourceArn)).toContain('/${ConsumerApi');
    }
    // The function outlives the longest stream API Gateway allows.
    expect(functionByEntry(template, ENTRIES.router).fn.Properties?.Timeout).toBe(900);
  });

  it('requires an API key and the Lambda authorizer on every consumer route', () => {
    for (const m of consumer) {
      expect(m.props, m.route).toMatchObject({
        ApiKeyRequired: true,
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: authorizerId },
      });
    }
  });

  it('takes API keys from the authorizer, so Bearer tokens work', () => {
    expect(api.Properties?.ApiKeySourceType).toBe('AUTHORIZER');
  });

  it('runs a REQUEST authorizer on every call: no identity sources, no cache', () => {
    const { id: authorizerFn } = functionByEntry(template, ENTRIES.authorizer);
    expect(authorizer.Properties).toMatchObject({ Type: 'REQUEST', AuthorizerResultTtlInSeconds: 0 });
    expect(authorizer.Properties).not.toHaveProperty('IdentitySource');
    expect(render(authorizer.Properties?.AuthorizerUri)).toContain(`\${${authorizerFn}.Arn}/invocations`);
  });

  it('binds one usage plan per tier, each with its throttle and monthly quota, to the stage', () => {
    const [[stageId]] = resources(template, 'AWS::ApiGateway::Stage') as [[string, CfnResource]];
    const plans = resources(template, 'AWS::ApiGateway::UsagePlan');
    expect(plans).toHaveLength(3);
    const byName = Object.fromEntries(
      plans.map(([id, p]) => [String(p.Properties?.UsagePlanName), { id, p }]),
    );
    expect(Object.keys(byName).sort()).toEqual([
      'SwitchyardStateless-enterprise',
      'SwitchyardStateless-free',
      'SwitchyardStateless-standard',
    ]);
    const limits = (name: string) => {
      const props = byName[name]?.p.Properties ?? {};
      return { throttle: props.Throttle, quota: props.Quota };
    };
    expect(limits('SwitchyardStateless-free')).toEqual({
      throttle: { RateLimit: 5, BurstLimit: 10 },
      quota: { Limit: 10_000, Period: 'MONTH' },
    });
    expect(limits('SwitchyardStateless-standard')).toEqual({
      throttle: { RateLimit: 50, BurstLimit: 100 },
      quota: { Limit: 1_000_000, Period: 'MONTH' },
    });
    expect(limits('SwitchyardStateless-enterprise')).toEqual({
      throttle: { RateLimit: 500, BurstLimit: 1_000 },
      quota: { Limit: 100_000_000, Period: 'MONTH' },
    });
    for (const { p } of Object.values(byName)) {
      expect(p.Properties?.ApiStages).toHaveLength(1);
      expect(p.Properties?.ApiStages).toMatchObject([{ ApiId: { Ref: apiId }, Stage: { Ref: stageId } }]);
    }
    // The standard plan keeps the logical id the single plan had, so keys already on it stay there.
    expect(byName['SwitchyardStateless-standard']?.id).toMatch(/^ConsumerApiUsagePlan[0-9A-F]{8}$/);
    // Keys are put on plans at run time (the admin API), never in the template.
    expect(resources(template, 'AWS::ApiGateway::UsagePlanKey')).toEqual([]);
  });

  it('logs access without bodies and no data trace', () => {
    const [[, stage]] = resources(template, 'AWS::ApiGateway::Stage') as [[string, CfnResource]];
    expect(stage.Properties?.StageName).toBe('prod');
    const format = String((props(stage).AccessLogSetting as Record<string, Json>).Format);
    expect(Object.keys(JSON.parse(format) as object)).toEqual(
      expect.arrayContaining(['requestId', 'status', 'tenant']),
    );
    expect(format).not.toMatch(/body|header/i);
    expect(stage.Properties?.MethodSettings).toEqual([expect.objectContaining({ DataTraceEnabled: false })]);
  });

  it.each([
    ['UNAUTHORIZED', '401', 'authentication_error', 'invalid_api_key'],
    ['INVALID_API_KEY', '401', 'authentication_error', 'invalid_api_key'],
    ['ACCESS_DENIED', '403', 'permission_error', 'forbidden'],
    ['THROTTLED', '429', 'rate_limit_error', 'rate_limit_exceeded'],
    ['QUOTA_EXCEEDED', '429', 'insufficient_quota', 'insufficient_quota'],
    ['BAD_REQUEST_BODY', '400', 'invalid_request_error', 'invalid_request'],
    ['DEFAULT_4XX', undefined, 'invalid_request_error', 'X'],
    ['DEFAULT_5XX', undefined, 'api_error', 'X'],
  ])('gateway response %s: %s in the OpenAI error shape', (type, status, errorType, code) => {
    const hit = resources(template, 'AWS::ApiGateway::GatewayResponse').find(
      ([, r]) => r.Properties?.ResponseType === type,
    );
    expect(hit).toBeDefined();
    const props = (hit as [string, CfnResource])[1].Properties ?? {};
    expect(props.StatusCode).toBe(status);
    const body = String((props.ResponseTemplates as Record<string, Json>)['application/json']);
    // Substitute what API Gateway would: messageString is a quoted string, responseType a bare word.
    const rendered = body
      .replaceAll('$context.error.messageString', '"Some message"')
      .replaceAll('$context.error.responseType', 'X');
    const parsed = JSON.parse(rendered) as { error: Record<string, unknown> };
    expect(Object.keys(parsed.error)).toEqual(['message', 'type', 'param', 'code']);
    expect(parsed.error).toMatchObject({ type: errorType, param: null, code });
    expect(typeof parsed.error.message).toBe('string');
  });

  it('tells throttled clients when to retry', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'THROTTLED',
      ResponseParameters: { 'gatewayresponse.header.Retry-After': "'1'" },
    });
  });

  it("lets a tier's throttle and quota be configured, the other tiers keeping theirs", () => {
    const { code } = synthStacks({
      usagePlans: {
        free: { throttle: { rateLimit: 1, burstLimit: 2 }, quota: { limit: 1000, period: Period.DAY } },
      },
    });
    const t = Template.fromStack(code);
    t.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'Code-free',
      Throttle: { RateLimit: 1, BurstLimit: 2 },
      Quota: { Limit: 1000, Period: 'DAY' },
    });
    t.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'Code-standard',
      Throttle: { RateLimit: 50, BurstLimit: 100 },
    });
  });
});

describe('outputs', () => {
  it('exports the API URL, usage plan id and state machine ARN', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: Json }>;
    expect(render(outputs.ApiUrl?.Value)).toMatch(
      /^https:\/\/\$\{ConsumerApi[0-9A-F]{8}\}\.execute-api\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}\/\$\{ConsumerApiDeploymentStageprod[0-9A-F]{8}\}\/$/,
    );
    expect(render(outputs.UsagePlanId?.Value)).toMatch(/^\$\{ConsumerApiUsagePlan[0-9A-F]{8}\}$/);
    expect(render(outputs.UsagePlanIdFree?.Value)).toMatch(/^\$\{ConsumerApiUsagePlanFree[0-9A-F]{8}\}$/);
    expect(render(outputs.UsagePlanIdEnterprise?.Value)).toMatch(
      /^\$\{ConsumerApiUsagePlanEnterprise[0-9A-F]{8}\}$/,
    );
    expect(render(outputs.JobWorkflowArn?.Value)).toMatch(/^\$\{JobWorkflowStateMachine[0-9A-F]{8}\}$/);
  });
});

describe('registry without SageMaker endpoints', () => {
  it('grants no SageMaker access at all', () => {
    const t = synthApp('test/infra/fixtures/registry-http-only.yaml').statelessTemplate;
    expect(JSON.stringify(t.toJSON())).not.toContain('sagemaker:');
  });
});

describe('learned routing grants', () => {
  const LEARNED_ONLY = { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['~learned'] } };

  it('the router puts decision records and reads the state; feedback reads and updates; the refit scans and writes the state; the rollout steps scan', () => {
    expect(tableActions(template, ENTRIES.router, 'Decisions')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
    ]);
    expect(tableActions(template, ENTRIES.feedback, 'Decisions')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
    expect(tableActions(template, ENTRIES.refit, 'Decisions')).toEqual(['dynamodb:PutItem', 'dynamodb:Scan']);
    // A policy rollout step's window (decisions since the step began): no index on time, a Scan.
    expect(tableActions(template, ENTRIES.rolloutSteps, 'Decisions')).toEqual(['dynamodb:Scan']);
    const readers: string[] = [ENTRIES.router, ENTRIES.feedback, ENTRIES.refit, ENTRIES.rolloutSteps];
    for (const entry of Object.values(ENTRIES)) {
      if (readers.includes(entry)) continue;
      expect(tableActions(template, entry, 'Decisions'), entry).toEqual([]);
    }
  });

  it('the router’s GetItem and the refit’s PutItem reach only the learned state’s item', () => {
    const onDecisions = (entry: string, action: string) =>
      statementsFor(template, entry, 'dynamodb:').filter(
        (s) => s.Action.includes(action) && s.Resource.some((r) => tableArn('Decisions').test(r)),
      );
    expect(onDecisions(ENTRIES.router, 'dynamodb:GetItem').map((s) => s.Condition)).toEqual([LEARNED_ONLY]);
    expect(onDecisions(ENTRIES.refit, 'dynamodb:PutItem').map((s) => s.Condition)).toEqual([LEARNED_ONLY]);
    expect(onDecisions(ENTRIES.router, 'dynamodb:PutItem').map((s) => s.Condition)).toEqual([undefined]);
  });

  it('the refit only reads the registry (the rollout workflow owns learned canary verdicts)', () => {
    const onRegistry = statementsFor(template, ENTRIES.refit, 'dynamodb:').filter(
      (s) =>
        s.Resource.some((r) => tableArn('Registry').test(r)) &&
        s.Action.some((a) => ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'].includes(a)),
    );
    expect(onRegistry).toEqual([]);
    expect(tableActions(template, ENTRIES.refit, 'Registry')).toContain('dynamodb:GetItem');
  });
});
