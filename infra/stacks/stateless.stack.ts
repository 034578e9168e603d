// The stateless stack: code and wiring, safe to redeploy at any time. Shared layers; the
// authorizer and router behind the REST API; the scheduled health check; the jobs API, the job
// workflow, the worker that feeds it, the dead-letter consumer and the execution watch; the
// rollout workflow and the admin API with the access rules that keep it to admin principals; the
// budget sweeper; and the firewall in front of the API that refuses oversized bodies. Every
// function gets only the variables and grants it uses.

import { MAX_BODY_BYTES, MAX_JOB_BODY_BYTES, PLAN_TIERS, type PlanTier } from '@switchyard/core';
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { DECISIONS_TABLE, TENANTS_TABLE } from '../../layers/adapters/src/tables.ts';
import { CACHE_TTL_ENV, DEFAULT_SETTINGS, ENV, type SwitchyardSettings } from '../app.config.ts';
import { AdminAccess } from '../constructs/admin-access.construct.ts';
import { AdminApi } from '../constructs/admin-api.construct.ts';
import { ApiFirewall } from '../constructs/api-firewall.construct.ts';
import { BudgetSweeper } from '../constructs/budget-sweeper.construct.ts';
import { type ApiRoute, ConsumerApi, type UsagePlanSettings } from '../constructs/consumer-api.construct.ts';
import type { DataTables } from '../constructs/data-tables.construct.ts';
import { EndpointAutoscaling } from '../constructs/endpoint-autoscaling.construct.ts';
import { FeedbackApi } from '../constructs/feedback-api.construct.ts';
import { HealthChecks } from '../constructs/health-checks.construct.ts';
import { JobApi } from '../constructs/job-api.construct.ts';
import { JobDeadLetter } from '../constructs/job-dead-letter.construct.ts';
import { JobExecutionWatch } from '../constructs/job-execution-watch.construct.ts';
import type { JobQueues } from '../constructs/job-queues.construct.ts';
import { JobWorker } from '../constructs/job-worker.construct.ts';
import { JobWorkflow } from '../constructs/job-workflow.construct.ts';
import { LearnedRefit } from '../constructs/learned-refit.construct.ts';
import { type AlarmThresholds, Observability } from '../constructs/observability.construct.ts';
import { RolloutWorkflow } from '../constructs/rollout-workflow.construct.ts';
import {
  RouterCapacity,
  type RouterCapacityProps,
  type RouterCompute,
} from '../constructs/router-capacity.construct.ts';
import {
  grantSageMakerEndpoints,
  SAGEMAKER_STREAM_INVOKE_ACTIONS,
} from '../constructs/sagemaker-endpoints.grant.ts';
import { SharedLayers } from '../constructs/shared-layers.construct.ts';
import { SwitchyardFunction } from '../constructs/switchyard-function.construct.ts';
import { UsageApi } from '../constructs/usage-api.construct.ts';
import { UsageExport } from '../constructs/usage-export.construct.ts';
import type { OwnedEndpointScaling } from '../registry-file.loader.ts';

export interface StatelessStackProps extends StackProps {
  /** The tables of the stateful stack. */
  readonly tables: DataTables;
  /** The usage archive bucket of the stateful stack (the daily export writes there). */
  readonly usageArchive: IBucket;
  /** The job queues of the stateful stack. */
  readonly queues: JobQueues;
  /** SageMaker endpoint names from the registry file: the only endpoints functions may call. */
  readonly sagemakerEndpointNames: readonly string[];
  /**
   * Numbers shared with the stateful stack; pass the same object to both.
   * @default DEFAULT_SETTINGS
   */
  readonly settings?: SwitchyardSettings;
  /**
   * Throttle and quota per API key of each tier's usage plan.
   * @default DEFAULT_USAGE_PLANS (free 5/s and 10k a month, standard 50/s and 1M, enterprise 500/s and 100M)
   */
  readonly usagePlans?: Partial<Record<PlanTier, UsagePlanSettings>>;
  /**
   * IAM principals (role, user or account-root ARNs) allowed to call `/admin/*`, besides the
   * admin role the stack creates.
   * @default [] (the admin role only)
   */
  readonly adminPrincipalArns?: readonly string[];
  /**
   * An AWS WAF web ACL in front of the API that answers oversized bodies with a 413 (without it,
   * a body between Lambda's 6 MB and API Gateway's 10 MB is a 5xx). About $8 a month at rest.
   * @default true
   */
  readonly firewall?: boolean;
  /**
   * How the router runs: standard Lambda (scales to zero, billed per millisecond of waiting on
   * models) or Lambda Managed Instances (a capacity provider; many requests per environment).
   * @default 'standard'
   */
  readonly routerCompute?: RouterCompute;
  /**
   * Managed instances only: the capacity provider's settings.
   * @default - RouterCapacity's defaults
   */
  readonly routerCapacity?: Omit<RouterCapacityProps, 'router'>;
  /**
   * Alarm thresholds (error rate, p99 latency, spend per hour).
   * @default - Observability's defaults
   */
  readonly alarmThresholds?: AlarmThresholds;
  /**
   * Email addresses subscribed to the alarm topic.
   * @default []
   */
  readonly alarmEmails?: readonly string[];
  /**
   * SageMaker endpoint variants the stack scales (registry entries with `autoscaling:`).
   * @default []
   */
  readonly sagemakerAutoscaling?: readonly OwnedEndpointScaling[];
}

export class StatelessStack extends Stack {
  public readonly layers: SharedLayers;
  public readonly authorizerFunction: SwitchyardFunction;
  public readonly routerFunction: SwitchyardFunction;
  public readonly consumerApi: ConsumerApi;
  public readonly healthChecks: HealthChecks;
  public readonly jobWorkflow: JobWorkflow;
  public readonly jobWorker: JobWorker;
  public readonly rolloutWorkflow: RolloutWorkflow;
  public readonly adminAccess: AdminAccess;
  public readonly adminApi: AdminApi;
  public readonly jobApi: JobApi;
  public readonly jobDeadLetter: JobDeadLetter;
  public readonly jobExecutionWatch: JobExecutionWatch;
  public readonly firewall: ApiFirewall | undefined;
  public readonly budgetSweeper: BudgetSweeper;
  public readonly usageApi: UsageApi;
  public readonly feedbackApi: FeedbackApi;
  public readonly learnedRefit: LearnedRefit;
  public readonly usageExport: UsageExport;
  /** The router's capacity provider, when it runs on managed instances. */
  public readonly routerCapacity: RouterCapacity | undefined;
  public readonly observability: Observability;
  public readonly endpointAutoscaling: EndpointAutoscaling | undefined;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const settings = props.settings ?? DEFAULT_SETTINGS;
    const { tables, queues, sagemakerEndpointNames } = props;
    this.layers = new SharedLayers(this, 'Layers');

    this.authorizerFunction = new SwitchyardFunction(this, 'AuthorizerFunction', {
      entry: 'functions/authorizer/authorizer.handler.ts',
      layers: this.layers,
      description: 'API Gateway REQUEST authorizer: API key (Bearer or x-api-key) to tenant',
      memorySize: 256,
      timeout: Duration.seconds(5),
      environment: { [ENV.apiKeysTable]: tables.apiKeys.tableName },
    });
    // GetItem on the table only (Table.grant would add its index ARNs too).
    this.authorizerFunction.addToRolePolicy(
      new PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [tables.apiKeys.tableArn] }),
    );

    this.routerFunction = new SwitchyardFunction(this, 'RouterFunction', {
      entry: 'functions/router/router.handler.ts',
      layers: this.layers,
      // Its cold start is on a caller's path: only the code it reaches, no source-map parsing at init.
      selfContained: true,
      runtimeSourceMaps: false,
      description: 'The synchronous request path: route, invoke, fall back',
      // Standard: 1024 MB. Managed instances: one vCPU and 2 GiB per environment, serving 64 at once.
      memorySize: props.routerCompute === 'managed-instances' ? 2048 : 1024,
      // Streams may last as long as API Gateway streams (15 min); a buffered request ends at its
      // policy's deadline (seconds) long before.
      timeout: Duration.minutes(15),
      environment: {
        [ENV.registryTable]: tables.registry.tableName,
        [ENV.healthTable]: tables.health.tableName,
        [ENV.tenantsTable]: tables.tenants.tableName,
        [ENV.budgetsTable]: tables.budgets.tableName,
        [ENV.usageTable]: tables.usage.tableName,
        [ENV.decisionsTable]: tables.decisions.tableName,
        [ENV.maxBodyBytes]: String(MAX_BODY_BYTES),
        ...CACHE_TTL_ENV,
      },
    });
    tables.registry.grantReadData(this.routerFunction);
    tables.health.grantReadWriteData(this.routerFunction);
    // Money: the tenant's budget attributes only (never its webhook secret), its budget periods
    // (read, create, conditional updates), and usage records (put only).
    this.routerFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [tables.tenants.tableArn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...TENANTS_TABLE.budgetAttributes] },
          StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
        },
      }),
    );
    this.routerFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [tables.budgets.tableArn],
      }),
    );
    this.routerFunction.addToRolePolicy(
      new PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [tables.usage.tableArn] }),
    );
    // The decision log: one conditional put per routed request; and the learned state's item only.
    this.routerFunction.addToRolePolicy(
      new PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [tables.decisions.tableArn] }),
    );
    this.routerFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [tables.decisions.tableArn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [DECISIONS_TABLE.learnedStateKey] },
        },
      }),
    );
    grantSageMakerEndpoints(this.routerFunction, sagemakerEndpointNames, SAGEMAKER_STREAM_INVOKE_ACTIONS);
    this.routerCapacity =
      props.routerCompute === 'managed-instances'
        ? new RouterCapacity(this, 'RouterCapacity', { ...props.routerCapacity, router: this.routerFunction })
        : undefined;
    // One environment serves many invocations: write the metrics aggregate once a second, not per request.
    if (this.routerCapacity) this.routerFunction.addEnvironment('METRICS_FLUSH_MS', '1000');

    const consumerRoutes: ApiRoute[] = [
      { method: 'POST', path: '/v1/chat/completions', handler: this.routerFunction },
      { method: 'POST', path: '/v1/completions', handler: this.routerFunction },
      { method: 'GET', path: '/v1/models', handler: this.routerFunction },
      { method: 'POST', path: '/v1/route', handler: this.routerFunction },
      { method: 'POST', path: '/v1/invocations', handler: this.routerFunction },
      { method: 'POST', path: '/v1/embeddings', handler: this.routerFunction },
    ];
    this.consumerApi = new ConsumerApi(this, 'ConsumerApi', {
      authorizer: this.authorizerFunction,
      routes: consumerRoutes,
      // The router is streamified (SSE for `stream: true`): all its routes stream.
      streamingFunctions: [this.routerFunction],
      usagePlans: props.usagePlans,
    });

    this.healthChecks = new HealthChecks(this, 'HealthChecks', {
      layers: this.layers,
      registryTable: tables.registry,
      healthTable: tables.health,
      sagemakerEndpointNames,
    });

    this.jobWorkflow = new JobWorkflow(this, 'JobWorkflow', {
      layers: this.layers,
      registryTable: tables.registry,
      healthTable: tables.health,
      jobsTable: tables.jobs,
      tenantsTable: tables.tenants,
      usageTable: tables.usage,
      budgetsTable: tables.budgets,
      sagemakerEndpointNames,
    });

    this.jobWorker = new JobWorker(this, 'JobWorker', {
      layers: this.layers,
      queues: queues.byPriority,
      jobsTable: tables.jobs,
      workflow: this.jobWorkflow.stateMachine,
      timeout: settings.workerTimeout,
      maxBatchingWindow: settings.workerBatchingWindow,
    });

    // The durable path's front and back: POST/GET /v1/jobs, and the dead-letter consumer.
    this.jobApi = new JobApi(this, 'JobApi', {
      layers: this.layers,
      api: this.consumerApi,
      registryTable: tables.registry,
      jobsTable: tables.jobs,
      queues: queues.byPriority,
      budgets: { tenantsTable: tables.tenants, budgetsTable: tables.budgets },
    });
    this.jobDeadLetter = new JobDeadLetter(this, 'JobDeadLetter', {
      layers: this.layers,
      deadLetterQueue: queues.deadLetter,
      jobsTable: tables.jobs,
      tenantsTable: tables.tenants,
      maxReceiveCount: queues.maxReceiveCount,
    });
    this.jobExecutionWatch = new JobExecutionWatch(this, 'JobExecutionWatch', {
      layers: this.layers,
      workflow: this.jobWorkflow.stateMachine,
      jobsTable: tables.jobs,
      tenantsTable: tables.tenants,
    });

    // Model version and learned policy rollouts, and the admin surface (IAM auth) that starts them and edits the registry.
    this.rolloutWorkflow = new RolloutWorkflow(this, 'RolloutWorkflow', {
      layers: this.layers,
      registryTable: tables.registry,
      healthTable: tables.health,
      rolloutsTable: tables.rollouts,
      decisionsTable: tables.decisions,
      scaledEndpointNames: [...new Set((props.sagemakerAutoscaling ?? []).map((e) => e.endpointName))],
    });
    this.adminAccess = new AdminAccess(this, 'AdminAccess', {
      api: this.consumerApi.api,
      principalArns: props.adminPrincipalArns,
    });
    this.adminApi = new AdminApi(this, 'AdminApi', {
      layers: this.layers,
      api: this.consumerApi,
      adminPrincipalArns: this.adminAccess.principalArns,
      registryTable: tables.registry,
      healthTable: tables.health,
      rolloutsTable: tables.rollouts,
      rolloutWorkflow: this.rolloutWorkflow.stateMachine,
      apiKeysTable: tables.apiKeys,
      tenantsTable: tables.tenants,
      usageTable: tables.usage,
      usagePlanNames: this.consumerApi.usagePlanNames,
    });

    // Usage: consumers read their own (GET /v1/usage).
    this.usageApi = new UsageApi(this, 'UsageApi', {
      layers: this.layers,
      api: this.consumerApi,
      usageTable: tables.usage,
    });

    // Learned routing: consumers score their answers (POST /v1/feedback).
    this.feedbackApi = new FeedbackApi(this, 'FeedbackApi', {
      layers: this.layers,
      api: this.consumerApi,
      decisionsTable: tables.decisions,
    });

    // Billing: yesterday's usage to S3 every night.
    this.usageExport = new UsageExport(this, 'UsageExport', {
      layers: this.layers,
      usageTable: tables.usage,
      tenantsTable: tables.tenants,
      bucket: props.usageArchive,
    });

    // Budgets: the scheduled sweeper settles leases of dead routers and closes ended periods.
    this.budgetSweeper = new BudgetSweeper(this, 'BudgetSweeper', {
      layers: this.layers,
      budgetsTable: tables.budgets,
    });

    // Learned routing: the scheduled refit writes the state the routers read.
    this.learnedRefit = new LearnedRefit(this, 'LearnedRefit', {
      layers: this.layers,
      decisionsTable: tables.decisions,
      registryTable: tables.registry,
    });

    // Every route exists now: the body limits the handlers enforce, enforced again in front of Lambda.
    this.firewall =
      props.firewall === false
        ? undefined
        : new ApiFirewall(this, 'ApiFirewall', {
            stage: this.consumerApi.api.deploymentStage,
            bodyLimits: [
              { pathSuffix: '/v1/jobs', maxBytes: MAX_JOB_BODY_BYTES },
              { maxBytes: MAX_BODY_BYTES },
            ],
          });

    const owned = props.sagemakerAutoscaling ?? [];
    this.endpointAutoscaling =
      owned.length > 0
        ? new EndpointAutoscaling(this, 'EndpointAutoscaling', { endpoints: owned })
        : undefined;

    // The dashboard and the alarms, on the metrics the functions emit.
    this.observability = new Observability(this, 'Observability', {
      queues: queues.byPriority,
      deadLetterQueue: queues.deadLetter,
      jobWorkflow: this.jobWorkflow.stateMachine,
      rolloutWorkflow: this.rolloutWorkflow.stateMachine,
      thresholds: props.alarmThresholds,
      alarmEmails: props.alarmEmails,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.consumerApi.api.url });
    for (const tier of PLAN_TIERS) {
      const id = `UsagePlanId${tier === 'standard' ? '' : `${tier[0]?.toUpperCase()}${tier.slice(1)}`}`;
      new CfnOutput(this, id, {
        value: this.consumerApi.usagePlans[tier].usagePlanId,
        description: `The ${tier} tier's usage plan`,
      });
    }
    new CfnOutput(this, 'AdminRoleArn', { value: this.adminAccess.role.roleArn });
    new CfnOutput(this, 'JobWorkflowArn', { value: this.jobWorkflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.observability.topic.topicArn });
    new CfnOutput(this, 'RolloutWorkflowArn', { value: this.rolloutWorkflow.stateMachine.stateMachineArn });
  }
}
