// The rollout workflow: a STANDARD Step Functions state machine that moves a model's traffic from
// its stable version to a candidate in steps, and its one step function (rollout-steps).
//
//   Start -> SuspendScaleIn -> SetWeight -> StepStarted -> WaitStep -> EvaluateGates -> GateVerdict
//                                 ^            |  stopped -> Stopped       ^               | pass, last -> Promote -> Promoted
//                                 |            |                           |               | pass -------> NextStep -+
//                                 +------------|---------------------------|---------------+ wait -------> ExtendWait
//                                              |                                           | breach -----> Rollback -> RolledBack (Fail)
//   every Task: Retry (backoff, jitter), Catch States.ALL -> Rollback; Rollback's own Catch -> RollbackFailed
//
// Scale-in protection (adapters rollouts.scale-in.ts): SuspendScaleIn holds scale-in on the
// rollout's stack-owned SageMaker endpoints, and a ResumeScaleIn<End> task before each of the four
// end states restores it. Their Catch goes on to the next state (the error kept in
// `$.scale_in_error`): a scaling call failing never blocks the rollout or its rollback. An
// execution that ends without reaching an end state (a manual rollback stops it; a timeout) is
// caught by an EventBridge rule that sends its status change to the step function: resume.
//
// WaitStep waits `$.wait_seconds` (SecondsPath); a step without enough candidate traffic waits
// again (ExtendWait) until the step function says it breached for want of it. JSONPath only (the
// local ASL interpreter runs this exact definition). Logging at ERROR without execution data.

import {
  ABNORMAL_EXECUTION_STATUSES,
  ROLLED_BACK_ERROR,
  ROLLOUT_WORKFLOW_STATES as S,
} from '@switchyard/core';
import { Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  Errors,
  Fail,
  type IChainable,
  JitterType,
  JsonPath,
  Pass,
  type StateMachine,
  Succeed,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '../app.config.ts';
import type { SharedLayers } from './shared-layers.construct.ts';
import { SwitchyardFunction } from './switchyard-function.construct.ts';
import { lambdaStep, loggedStateMachine } from './workflow-steps.ts';

export interface RolloutWorkflowProps {
  readonly layers: SharedLayers;
  readonly registryTable: ITable;
  readonly healthTable: ITable;
  readonly rolloutsTable: ITable;
  /** The decision log a learned policy rollout's gates read. */
  readonly decisionsTable: ITable;
  /**
   * Names of the SageMaker endpoints the stack scales (registry `autoscaling:`): the step function
   * may describe and update (through Application Auto Scaling) only these.
   * @default - none: the scale-in steps find no owned endpoint and change nothing
   */
  readonly scaledEndpointNames?: readonly string[];
  /**
   * Timeout of a whole rollout.
   * @default Duration.days(7)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the state machine's and the step function's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export class RolloutWorkflow extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly stepFunction: SwitchyardFunction;
  public readonly logGroup: LogGroup;
  /** Sends executions that ended ABORTED, TIMED_OUT or FAILED to the step function (resume scale-in). */
  public readonly executionEnded: Rule;

  constructor(scope: Construct, id: string, props: RolloutWorkflowProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    this.stepFunction = new SwitchyardFunction(this, 'StepFunction', {
      entry: 'functions/rollout-steps/rollout-steps.handler.ts',
      layers: props.layers,
      description: 'Rollout workflow: set canary weights, evaluate gates, promote or roll back',
      timeout: Duration.seconds(30),
      logRetention,
      environment: {
        [ENV.registryTable]: props.registryTable.tableName,
        [ENV.healthTable]: props.healthTable.tableName,
        [ENV.rolloutsTable]: props.rolloutsTable.tableName,
        [ENV.decisionsTable]: props.decisionsTable.tableName,
      },
    });
    props.registryTable.grantReadWriteData(this.stepFunction);
    props.healthTable.grantReadData(this.stepFunction);
    props.rolloutsTable.grantReadWriteData(this.stepFunction);
    // A policy step's window is "decisions since the step began": the table has no index on the
    // time (it is keyed by request id), so the read is a filtered Scan; nothing else on it.
    props.decisionsTable.grant(this.stepFunction, 'dynamodb:Scan');
    this.grantScaleIn(props.scaledEndpointNames ?? []);

    const step = (name: string, payload: Record<string, unknown>, resultPath?: string) =>
      lambdaStep(this, name, this.stepFunction, payload, { resultPath });
    const retry = {
      errors: [Errors.ALL],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 3,
      jitterStrategy: JitterType.FULL,
    };
    const id_ = { rollout_id: JsonPath.stringAt('$.rollout_id') };
    const carry = {
      ...id_,
      wait_seconds: JsonPath.numberAt('$.wait_seconds'),
    };

    const stopped = new Succeed(this, S.stopped, {
      stateName: S.stopped,
      comment: 'The rollout ended outside the workflow (a manual rollback)',
    });
    const rolledBack = new Fail(this, S.rolledBack, {
      stateName: S.rolledBack,
      error: ROLLED_BACK_ERROR,
      cause: 'The rollout was rolled back; GET /admin/rollouts/{id} says why.',
    });
    const rollbackFailed = new Fail(this, S.rollbackFailed, {
      stateName: S.rollbackFailed,
      error: 'Switchyard.RollbackFailed',
      cause: 'Rolling back failed after retries: check the policy canary and the candidate status.',
    });
    const promoted = new Succeed(this, S.promoted, { stateName: S.promoted });

    // Scale-in steps: retried, then caught into the next state (never blocking the rollout).
    const scaleInStep = (name: string, action: string, next: IChainable) => {
      const task = step(name, { action, ...id_ });
      task.addRetry(retry);
      task.addCatch(next, { errors: [Errors.ALL], resultPath: '$.scale_in_error' });
      return task.next(next);
    };
    const resumeBefore = (name: string, end: IChainable) => scaleInStep(name, 'resume-scale-in', end);
    const toStopped = resumeBefore(S.resumeScaleInStopped, stopped);
    const toRolledBack = resumeBefore(S.resumeScaleInRolledBack, rolledBack);
    const toRollbackFailed = resumeBefore(S.resumeScaleInRollbackFailed, rollbackFailed);
    const toPromoted = resumeBefore(S.resumeScaleInPromoted, promoted);

    const rollback = step(S.rollback, { action: 'rollback', ...id_, state: JsonPath.entirePayload });
    rollback.addRetry({ ...retry, maxAttempts: 6 });
    rollback.addCatch(toRollbackFailed, { errors: [Errors.ALL], resultPath: '$.rollback_error' });
    rollback.next(toRolledBack);

    const promote = step(S.promote, { action: 'promote', ...id_ });
    promote.addRetry(retry);
    promote.addCatch(rollback, { errors: [Errors.ALL], resultPath: '$.error' });
    promote.next(toPromoted);

    const setWeight = step(
      S.setWeight,
      { action: 'begin-step', ...id_, step_index: JsonPath.numberAt('$.step_index') },
      '$.step',
    );
    setWeight.addRetry(retry);
    setWeight.addCatch(rollback, { errors: [Errors.ALL], resultPath: '$.error' });

    const waitStep = new Wait(this, S.waitStep, {
      stateName: S.waitStep,
      time: WaitTime.secondsPath('$.wait_seconds'),
    });
    const evaluate = step(
      S.evaluateGates,
      {
        action: 'evaluate',
        ...id_,
        step_index: JsonPath.numberAt('$.step_index'),
        extensions: JsonPath.numberAt('$.extensions'),
      },
      '$.gate',
    );
    evaluate.addRetry(retry);
    evaluate.addCatch(rollback, { errors: [Errors.ALL], resultPath: '$.error' });

    // Pass states with Parameters replace the whole state: carry what the loop needs.
    const extendWait = new Pass(this, S.extendWait, {
      stateName: S.extendWait,
      parameters: {
        ...carry,
        step_index: JsonPath.numberAt('$.step_index'),
        step: JsonPath.objectAt('$.step'),
        extensions: JsonPath.mathAdd(JsonPath.numberAt('$.extensions'), 1),
      },
    });
    const nextStep = new Pass(this, S.nextStep, {
      stateName: S.nextStep,
      parameters: {
        ...carry,
        step_index: JsonPath.mathAdd(JsonPath.numberAt('$.step_index'), 1),
        extensions: 0,
      },
    });
    const verdict = new Choice(this, S.gateVerdict, { stateName: S.gateVerdict })
      .when(Condition.stringEquals('$.gate.verdict', 'stopped'), toStopped)
      .when(Condition.stringEquals('$.gate.verdict', 'breach'), rollback)
      .when(Condition.stringEquals('$.gate.verdict', 'wait'), extendWait)
      .when(
        Condition.and(
          Condition.stringEquals('$.gate.verdict', 'pass'),
          Condition.booleanEquals('$.step.is_last', true),
        ),
        promote,
      )
      .when(Condition.stringEquals('$.gate.verdict', 'pass'), nextStep)
      .otherwise(rollback);
    const stepStarted = new Choice(this, S.stepStarted, { stateName: S.stepStarted })
      .when(Condition.booleanEquals('$.step.stopped', true), toStopped)
      .otherwise(waitStep);

    setWeight.next(stepStarted);
    waitStep.next(evaluate);
    evaluate.next(verdict);
    extendWait.next(waitStep);
    nextStep.next(setWeight);

    const start = new Pass(this, S.start, {
      stateName: S.start,
      parameters: { ...carry, step_index: 0, extensions: 0 },
    });
    start.next(scaleInStep(S.suspendScaleIn, 'suspend-scale-in', setWeight));

    const machine = loggedStateMachine(this, start, {
      timeout: props.timeout ?? Duration.days(7),
      logRetention,
    });
    this.stateMachine = machine.stateMachine;
    this.logGroup = machine.logGroup;

    // An execution that never reached a ResumeScaleIn task: its status change resumes scale-in
    // (idempotent, so a FAILED execution that already did is harmless).
    this.executionEnded = new Rule(this, 'ExecutionEnded', {
      description: 'Rollout executions that ended FAILED, TIMED_OUT or ABORTED: resume scale-in',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [this.stateMachine.stateMachineArn],
          status: ABNORMAL_EXECUTION_STATUSES,
        },
      },
      targets: [
        new LambdaFunction(this.stepFunction, { maxEventAge: Duration.hours(24), retryAttempts: 185 }),
      ],
    });
  }

  /**
   * Application Auto Scaling has no resource ARN to name a scalable target by endpoint (a
   * target's ARN ends in a random id) and no condition key on the resource id, so the narrowest
   * grants are: DescribeScalableTargets on `*` (it supports no resource-level permissions) and
   * RegisterScalableTarget on this account's and region's scalable targets; the owned endpoints
   * themselves (which Application Auto Scaling checks the caller may describe and update) by ARN.
   * No iam:PassRole: SageMaker targets act through AWS's service-linked role, which the stack's
   * own scalable targets already created.
   */
  private grantScaleIn(endpointNames: readonly string[]): void {
    if (endpointNames.length === 0) return;
    const stack = Stack.of(this);
    this.stepFunction.addToRolePolicy(
      new PolicyStatement({
        // Its own statement (a Sid keeps CDK from merging it with X-Ray's, also on `*`).
        sid: 'DescribeScalableTargets',
        actions: ['application-autoscaling:DescribeScalableTargets'],
        resources: ['*'],
      }),
    );
    this.stepFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['application-autoscaling:RegisterScalableTarget'],
        resources: [
          stack.formatArn({
            service: 'application-autoscaling',
            resource: 'scalable-target',
            resourceName: '*',
          }),
        ],
      }),
    );
    this.stepFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['sagemaker:DescribeEndpoint', 'sagemaker:UpdateEndpointWeightsAndCapacities'],
        resources: endpointNames.map((name) =>
          // SageMaker ARNs carry the endpoint name in lower case.
          stack.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: name.toLowerCase() }),
        ),
      }),
    );
  }
}
