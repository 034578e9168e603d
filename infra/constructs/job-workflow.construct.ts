// The job workflow: a STANDARD Step Functions state machine that runs one async job through its
// fallback chain, and the four step functions it calls (plan, invoke, record, notify; notify is
// the only one that may read a webhook secret or call out to a webhook).
//
//   Start -> Plan -> HasMoreTargets -> Invoke -> RecordSuccess -> NotifyWebhook -> Done
//                        ^    |          | Retry Switchyard.Retryable (backoff, full jitter)
//                        |    |          | Catch Switchyard.InvalidRequest|Internal -> RecordFailure
//                        |    |          | Catch States.ALL -> NextTarget (cursor + 1)
//                        +----|--------- NextTarget
//                             +-> RecordFailure -> NotifyWebhook (Catch -> Done)
//
// JSONPath only (the local ASL interpreter runs this exact definition; it ignores JSONata).
// The state carries { job_id, tenant, cursor, last_error, plan }; everything else lives in the
// jobs table. Logging at ERROR without execution data, so prompts never reach the logs.

import {
  NO_TARGETS_ERROR,
  NOT_SENT_ERRORS,
  PLAN_RETRY_ERRORS,
  RETRYABLE_ERROR,
  JOB_WORKFLOW_STATES as S,
} from '@switchyard/core';
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  Errors,
  JitterType,
  JsonPath,
  Pass,
  type StateMachine,
  Succeed,
} from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CACHE_TTL_ENV, ENV } from '../app.config.ts';
import { grantSageMakerEndpoints, SAGEMAKER_INVOKE_ACTIONS } from './sagemaker-endpoints.grant.ts';
import type { SharedLayers } from './shared-layers.construct.ts';
import { SwitchyardFunction } from './switchyard-function.construct.ts';
import { grantBudgetPeriods, grantTenantBudgetRead } from './tenant-budgets.grant.ts';
import { grantWebhookSecretRead } from './webhook-secrets.grant.ts';
import { lambdaStep, loggedStateMachine } from './workflow-steps.ts';

/**
 * The most attempts per target a policy may ask for (registry schema: retry.max_attempts_per_target
 * ≤ 10). The invoke step counts attempts in the jobs table and stops a target at the policy's
 * number, so the Retry below only has to allow at least this many retries.
 */
export const MAX_ATTEMPTS_PER_TARGET = 10;

export interface InvokeRetrySettings {
  /**
   * Retries of one target on `Switchyard.Retryable`. The policy's max_attempts_per_target is the
   * binding limit (the invoke step refuses an attempt past it); this only caps it.
   * @default MAX_ATTEMPTS_PER_TARGET (10)
   */
  readonly maxAttempts?: number;
  /**
   * Wait before the first retry.
   * @default Duration.seconds(1)
   */
  readonly interval?: Duration;
  /**
   * Multiplier of the wait per retry.
   * @default 2
   */
  readonly backoffRate?: number;
  /**
   * Cap on one wait.
   * @default Duration.seconds(20)
   */
  readonly maxDelay?: Duration;
}

export interface JobWorkflowProps {
  readonly layers: SharedLayers;
  readonly registryTable: ITable;
  readonly healthTable: ITable;
  readonly jobsTable: ITable;
  /** Tenants: the notify step reads the webhook secret that signs a job's webhook. */
  readonly tenantsTable: ITable;
  /** Usage records: invoke and record put one per job that reached an upstream. */
  readonly usageTable: ITable;
  /**
   * Budget periods: plan holds a job's maximum cost on its tenant's budgets (and reads the
   * tenant's budget attributes), record settles the hold. Without it jobs hold nothing.
   * @default none
   */
  readonly budgetsTable?: ITable;
  /** SageMaker endpoints the invoke step may call (from the registry file). */
  readonly sagemakerEndpointNames: readonly string[];
  /**
   * Retry of the invoke step on `Switchyard.Retryable`.
   * @default 10 retries (the policy decides), 1 s, backoff 2, max delay 20 s, full jitter
   */
  readonly invokeRetry?: InvokeRetrySettings;
  /**
   * Timeout of the invoke function (one attempt on one target); its Task times out 5 s later.
   * @default Duration.seconds(60)
   */
  readonly invokeTimeout?: Duration;
  /**
   * Timeout of a whole execution.
   * @default Duration.hours(1)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the state machine's and the step functions' logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export class JobWorkflow extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly planFunction: SwitchyardFunction;
  public readonly invokeFunction: SwitchyardFunction;
  public readonly recordFunction: SwitchyardFunction;
  public readonly notifyFunction: SwitchyardFunction;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: JobWorkflowProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const invokeTimeout = props.invokeTimeout ?? Duration.seconds(60);
    const timeout = props.timeout ?? Duration.hours(1);
    // A hold outlives every step that may settle it: the whole execution, one invoke, a margin.
    const holdTtl = timeout.plus(invokeTimeout).plus(Duration.minutes(5));
    const budgetEnv: Record<string, string> = props.budgetsTable
      ? { [ENV.budgetsTable]: props.budgetsTable.tableName, [ENV.tenantsTable]: props.tenantsTable.tableName }
      : {};
    // Plan and invoke read the registry and health (cached) and the job.
    const routingEnv = {
      [ENV.registryTable]: props.registryTable.tableName,
      [ENV.healthTable]: props.healthTable.tableName,
      [ENV.jobsTable]: props.jobsTable.tableName,
      ...CACHE_TTL_ENV,
    };
    // Invoke (served jobs) and record (failed ones) write the jobs' usage records, put only.
    const usageEnv = { [ENV.usageTable]: props.usageTable.tableName };
    const grantUsagePut = (fn: SwitchyardFunction) =>
      fn.addToRolePolicy(
        new PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [props.usageTable.tableArn] }),
      );

    // --- step functions and their grants
    this.planFunction = new SwitchyardFunction(this, 'PlanFunction', {
      entry: 'functions/job-steps/plan.handler.ts',
      layers: props.layers,
      description: 'Job workflow: plan the targets of a job (core routing)',
      timeout: Duration.seconds(15),
      logRetention,
      environment: {
        ...routingEnv,
        ...budgetEnv,
        ...(props.budgetsTable ? { JOB_BUDGET_HOLD_TTL_MS: String(holdTtl.toMilliseconds()) } : {}),
      },
    });
    if (props.budgetsTable) {
      grantTenantBudgetRead(props.tenantsTable, this.planFunction);
      grantBudgetPeriods(props.budgetsTable, this.planFunction, { write: true });
    }
    props.registryTable.grantReadData(this.planFunction);
    props.healthTable.grantReadData(this.planFunction);
    props.jobsTable.grantReadWriteData(this.planFunction);

    this.invokeFunction = new SwitchyardFunction(this, 'InvokeFunction', {
      entry: 'functions/job-steps/invoke.handler.ts',
      layers: props.layers,
      description: "Job workflow: invoke one target of a job's plan and record the attempt",
      timeout: invokeTimeout,
      logRetention,
      environment: { ...routingEnv, ...usageEnv },
    });
    grantUsagePut(this.invokeFunction);
    props.registryTable.grantReadData(this.invokeFunction);
    props.healthTable.grantReadWriteData(this.invokeFunction);
    props.jobsTable.grantReadWriteData(this.invokeFunction);
    grantSageMakerEndpoints(this.invokeFunction, props.sagemakerEndpointNames, SAGEMAKER_INVOKE_ACTIONS);

    this.recordFunction = new SwitchyardFunction(this, 'RecordFunction', {
      entry: 'functions/job-steps/record.handler.ts',
      layers: props.layers,
      description: "Job workflow: record a job's outcome",
      timeout: Duration.seconds(30),
      logRetention,
      environment: {
        [ENV.jobsTable]: props.jobsTable.tableName,
        ...usageEnv,
        ...(props.budgetsTable ? { [ENV.budgetsTable]: props.budgetsTable.tableName } : {}),
      },
    });
    props.jobsTable.grantReadWriteData(this.recordFunction);
    if (props.budgetsTable) grantBudgetPeriods(props.budgetsTable, this.recordFunction, { write: true });
    grantUsagePut(this.recordFunction);

    this.notifyFunction = new SwitchyardFunction(this, 'NotifyFunction', {
      entry: 'functions/job-steps/notify.handler.ts',
      layers: props.layers,
      description: "Job workflow: call a job's webhook, signed with its tenant's secret",
      timeout: Duration.seconds(30),
      logRetention,
      environment: {
        [ENV.jobsTable]: props.jobsTable.tableName,
        [ENV.tenantsTable]: props.tenantsTable.tableName,
      },
    });
    props.jobsTable.grant(this.notifyFunction, 'dynamodb:GetItem');
    grantWebhookSecretRead(props.tenantsTable, this.notifyFunction);

    // --- the definition
    const ids = { job_id: JsonPath.stringAt('$.job_id'), tenant: JsonPath.stringAt('$.tenant') };
    const recordRetry = {
      errors: [Errors.ALL],
      interval: Duration.seconds(1),
      backoffRate: 2,
      maxAttempts: 5,
    };

    const done = new Succeed(this, S.done, { stateName: S.done });

    const notify = lambdaStep(this, S.notifyWebhook, this.notifyFunction, ids);
    notify.addRetry({ errors: [Errors.ALL], interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 3 });
    notify.addCatch(done, { errors: [Errors.ALL], resultPath: '$.webhook_error' });
    notify.next(done);

    const recordSuccess = lambdaStep(this, S.recordSuccess, this.recordFunction, {
      ...ids,
      outcome: 'succeeded',
    });
    recordSuccess.addRetry(recordRetry);
    recordSuccess.next(notify);

    const recordFailure = lambdaStep(this, S.recordFailure, this.recordFunction, {
      ...ids,
      outcome: 'failed',
      error: JsonPath.objectAt('$.last_error'),
    });
    recordFailure.addRetry(recordRetry);
    recordFailure.next(notify);

    const retry = props.invokeRetry ?? {};
    const invoke = lambdaStep(this, S.invoke, this.invokeFunction, {
      ...ids,
      cursor: JsonPath.numberAt('$.cursor'),
    });
    invoke.addRetry({
      errors: [RETRYABLE_ERROR],
      interval: retry.interval ?? Duration.seconds(1),
      backoffRate: retry.backoffRate ?? 2,
      maxAttempts: retry.maxAttempts ?? MAX_ATTEMPTS_PER_TARGET,
      maxDelay: retry.maxDelay ?? Duration.seconds(20),
      jitterStrategy: JitterType.FULL,
    });

    const hasMoreTargets = new Choice(this, S.hasMoreTargets, { stateName: S.hasMoreTargets })
      .when(Condition.numberLessThanJsonPath('$.cursor', '$.plan.targets_count'), invoke)
      .otherwise(recordFailure);

    // A Pass with Parameters replaces the whole state: carry every field over, cursor + 1.
    const nextTarget = new Pass(this, S.nextTarget, {
      stateName: S.nextTarget,
      parameters: {
        ...ids,
        plan: JsonPath.objectAt('$.plan'),
        last_error: JsonPath.objectAt('$.last_error'),
        cursor: JsonPath.mathAdd(JsonPath.numberAt('$.cursor'), 1),
      },
    });
    nextTarget.next(hasMoreTargets);
    // A request that was never sent ends the job: the next target would fail the same way.
    invoke.addCatch(recordFailure, {
      errors: [NOT_SENT_ERRORS.invalidRequest, NOT_SENT_ERRORS.internal],
      resultPath: '$.last_error',
    });
    invoke.addCatch(nextTarget, { errors: [Errors.ALL], resultPath: '$.last_error' });
    invoke.next(recordSuccess);

    const plan = lambdaStep(this, S.plan, this.planFunction, ids, {
      resultSelector: { targets_count: JsonPath.numberAt('$.targets_count') },
      resultPath: '$.plan',
    });
    // A budget hold that may fit after a wait (the rest reserved by requests in flight, a
    // per-minute limit used up, the store not answering): about 5 minutes of backoff, then fail.
    plan.addRetry({
      errors: [...PLAN_RETRY_ERRORS],
      interval: Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: 6,
      maxDelay: Duration.seconds(60),
      jitterStrategy: JitterType.FULL,
    });
    plan.addCatch(recordFailure, { errors: [Errors.ALL], resultPath: '$.last_error' });
    plan.next(hasMoreTargets);

    // The state's shape, fixed here: anything else in the execution input is dropped. The
    // initial last_error is what RecordFailure reports if the plan has no target at all.
    const start = new Pass(this, S.start, {
      stateName: S.start,
      parameters: { ...ids, cursor: 0, last_error: NO_TARGETS_ERROR },
    });
    start.next(plan);

    const machine = loggedStateMachine(this, start, {
      timeout,
      logRetention,
    });
    this.stateMachine = machine.stateMachine;
    this.logGroup = machine.logGroup;
  }
}
