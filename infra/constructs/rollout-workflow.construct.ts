// The rollout workflow: a STANDARD Step Functions state machine that moves a model's traffic from
// its stable version to a candidate in steps, and its one step function (rollout-steps).
//
//   Start -> SetWeight -> StepStarted -> WaitStep -> EvaluateGates -> GateVerdict
//               ^            |  stopped -> Stopped       ^               | pass, last -> Promote -> Promoted
//               |            |                           |               | pass -------> NextStep -+
//               +------------|---------------------------|---------------+ wait -------> ExtendWait
//                            |                                           | breach -----> Rollback -> RolledBack (Fail)
//   every Task: Retry (backoff, jitter), Catch States.ALL -> Rollback; Rollback's own Catch -> RollbackFailed
//
// WaitStep waits `$.wait_seconds` (SecondsPath); a step without enough candidate traffic waits
// again (ExtendWait) until the step function says it breached for want of it. JSONPath only (the
// local ASL interpreter runs this exact definition). Logging at ERROR without execution data.

import { ROLLED_BACK_ERROR, ROLLOUT_WORKFLOW_STATES as S } from '@switchyard/core';
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  Errors,
  Fail,
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

    const rollback = step(S.rollback, { action: 'rollback', ...id_, state: JsonPath.entirePayload });
    rollback.addRetry({ ...retry, maxAttempts: 6 });
    rollback.addCatch(rollbackFailed, { errors: [Errors.ALL], resultPath: '$.rollback_error' });
    rollback.next(rolledBack);

    const promote = step(S.promote, { action: 'promote', ...id_ });
    promote.addRetry(retry);
    promote.addCatch(rollback, { errors: [Errors.ALL], resultPath: '$.error' });
    promote.next(promoted);

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
      .when(Condition.stringEquals('$.gate.verdict', 'stopped'), stopped)
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
      .when(Condition.booleanEquals('$.step.stopped', true), stopped)
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
    start.next(setWeight);

    const machine = loggedStateMachine(this, start, {
      timeout: props.timeout ?? Duration.days(7),
      logRetention,
    });
    this.stateMachine = machine.stateMachine;
    this.logGroup = machine.logGroup;
  }
}
