// The stateless stack: code and wiring, safe to redeploy at any time. Shared layers; the
// authorizer and router behind the REST API; the scheduled health check; the jobs API, the job
// workflow, the worker that feeds it, the dead-letter consumer and the execution watch; the
// rollout workflow and the admin API with the access rules that keep it to admin principals; the
// budget sweeper; and the firewall in front of the API that refuses oversized bodies. Every
// function gets only the variables and grants it uses.

import { MAX_BODY_BYTES, MAX_JOB_BODY_BYTES } from '@switchyard/core';
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { CACHE_TTL_ENV, DEFAULT_SETTINGS, ENV, type SwitchyardSettings } from '../app.config.ts';
import { AdminAccess } from '../constructs/admin-access.construct.ts';
import { AdminApi } from '../constructs/admin-api.construct.ts';
import { ApiFirewall } from '../constructs/api-firewall.construct.ts';
import { BudgetSweeper } from '../constructs/budget-sweeper.construct.ts';
import {
  type ApiRoute,
  ConsumerApi,
  type QuotaSettings,
  type ThrottleSettings,
} from '../constructs/consumer-api.construct.ts';
import type { DataTables } from '../constructs/data-tables.construct.ts';
import { HealthChecks } from '../constructs/health-checks.construct.ts';
import { JobApi } from '../constructs/job-api.construct.ts';
import { JobDeadLetter } from '../constructs/job-dead-letter.construct.ts';
import { JobExecutionWatch } from '../constructs/job-execution-watch.construct.ts';
import type { JobQueues } from '../constructs/job-queues.construct.ts';
import { JobWorker } from '../constructs/job-worker.construct.ts';
import { JobWorkflow } from '../constructs/job-workflow.construct.ts';
import { RolloutWorkflow } from '../constructs/rollout-workflow.construct.ts';
import {
  grantSageMakerEndpoints,
  SAGEMAKER_STREAM_INVOKE_ACTIONS,
} from '../constructs/sagemaker-endpoints.grant.ts';
import { SharedLayers } from '../constructs/shared-layers.construct.ts';
import { SwitchyardFunction } from '../constructs/switchyard-function.construct.ts';

export interface StatelessStackProps extends StackProps {
  /** The tables of the stateful stack. */
  readonly tables: DataTables;
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
   * Usage plan throttle per API key.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly throttle?: ThrottleSettings;
  /**
   * Usage plan quota per API key.
   * @default { limit: 1_000_000, period: MONTH }
   */
  readonly quota?: QuotaSettings;
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
      description: 'The synchronous request path: route, invoke, fall back',
      memorySize: 1024,
      // Streams may last as long as API Gateway streams (15 min); a buffered request ends at its
      // policy's deadline (seconds) long before.
      timeout: Duration.minutes(15),
      environment: {
        [ENV.registryTable]: tables.registry.tableName,
        [ENV.healthTable]: tables.health.tableName,
        [ENV.maxBodyBytes]: String(MAX_BODY_BYTES),
        ...CACHE_TTL_ENV,
      },
    });
    tables.registry.grantReadData(this.routerFunction);
    tables.health.grantReadWriteData(this.routerFunction);
    grantSageMakerEndpoints(this.routerFunction, sagemakerEndpointNames, SAGEMAKER_STREAM_INVOKE_ACTIONS);

    const consumerRoutes: ApiRoute[] = [
      { method: 'POST', path: '/v1/chat/completions', handler: this.routerFunction },
      { method: 'POST', path: '/v1/completions', handler: this.routerFunction },
      { method: 'GET', path: '/v1/models', handler: this.routerFunction },
      { method: 'POST', path: '/v1/route', handler: this.routerFunction },
      { method: 'POST', path: '/v1/invocations', handler: this.routerFunction },
    ];
    this.consumerApi = new ConsumerApi(this, 'ConsumerApi', {
      authorizer: this.authorizerFunction,
      routes: consumerRoutes,
      // The router is streamified (SSE for `stream: true`): all its routes stream.
      streamingFunctions: [this.routerFunction],
      throttle: props.throttle,
      quota: props.quota,
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

    // Model version rollouts, and the admin surface (IAM auth) that starts them and edits the registry.
    this.rolloutWorkflow = new RolloutWorkflow(this, 'RolloutWorkflow', {
      layers: this.layers,
      registryTable: tables.registry,
      healthTable: tables.health,
      rolloutsTable: tables.rollouts,
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
    });

    // Budgets: the scheduled sweeper settles leases of dead routers and closes ended periods.
    this.budgetSweeper = new BudgetSweeper(this, 'BudgetSweeper', {
      layers: this.layers,
      budgetsTable: tables.budgets,
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

    new CfnOutput(this, 'ApiUrl', { value: this.consumerApi.api.url });
    new CfnOutput(this, 'UsagePlanId', { value: this.consumerApi.usagePlan.usagePlanId });
    new CfnOutput(this, 'AdminRoleArn', { value: this.adminAccess.role.roleArn });
    new CfnOutput(this, 'JobWorkflowArn', { value: this.jobWorkflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'RolloutWorkflowArn', { value: this.rolloutWorkflow.stateMachine.stateMachineArn });
  }
}
