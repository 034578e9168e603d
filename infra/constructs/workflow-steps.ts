// Pieces the workflow constructs (job, rollout) share: a Task state that invokes one of our step
// functions and takes its answer as the result, timed out 5 s after the function would be, and a
// STANDARD state machine that logs errors, without execution data, to a log group of its own.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  DefinitionBody,
  type IChainable,
  JsonPath,
  LogLevel,
  StateMachine,
  StateMachineType,
  TaskInput,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { SwitchyardFunction } from './switchyard-function.construct.ts';

export interface LambdaStepOptions {
  /**
   * Where the function's answer goes in the state.
   * @default JsonPath.DISCARD
   */
  readonly resultPath?: string;
  /**
   * What to keep of the answer.
   * @default - all of it
   */
  readonly resultSelector?: Record<string, unknown>;
}

/**
 * A Task state `name` (also its construct id) that invokes `fn` with `payload`; its timeout is the
 * function's plus 5 s, so a function timeout surfaces as the function's error, not the Task's.
 */
export function lambdaStep(
  scope: Construct,
  name: string,
  fn: SwitchyardFunction,
  payload: Record<string, unknown>,
  options: LambdaStepOptions = {},
): LambdaInvoke {
  return new LambdaInvoke(scope, name, {
    stateName: name,
    lambdaFunction: fn,
    payload: TaskInput.fromObject(payload),
    payloadResponseOnly: true,
    resultSelector: options.resultSelector,
    resultPath: options.resultPath ?? JsonPath.DISCARD,
    taskTimeout: Timeout.duration(Duration.seconds((fn.timeout ?? Duration.seconds(3)).toSeconds() + 5)),
  });
}

export interface LoggedStateMachineProps {
  /** Timeout of a whole execution. */
  readonly timeout: Duration;
  /** Retention of the state machine's log group. */
  readonly logRetention: RetentionDays;
}

/**
 * A STANDARD state machine (construct id `StateMachine`) starting at `start`, logging at ERROR
 * without execution data (no prompts in the logs) to its own log group (construct id `Logs`),
 * traced with X-Ray.
 */
export function loggedStateMachine(
  scope: Construct,
  start: IChainable,
  props: LoggedStateMachineProps,
): { stateMachine: StateMachine; logGroup: LogGroup } {
  const logGroup = new LogGroup(scope, 'Logs', {
    retention: props.logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const stateMachine = new StateMachine(scope, 'StateMachine', {
    stateMachineType: StateMachineType.STANDARD,
    definitionBody: DefinitionBody.fromChainable(start),
    timeout: props.timeout,
    logs: { destination: logGroup, level: LogLevel.ERROR, includeExecutionData: false },
    // X-Ray: each execution is a trace, joined by the traced Lambda steps.
    tracingEnabled: true,
  });
  return { stateMachine, logGroup };
}
