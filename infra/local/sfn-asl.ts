// Prepares an ASL definition (as CDK synthesizes it) for the local interpreter
// `aws-local-stepfunctions`: finds every Task state (nested Parallel branches and Map item
// processors too), refuses resources that cannot run locally, and builds the run overrides that
// route Lambda tasks to an in-process `invokeFunction` so nothing ever calls real AWS.
import type { RunOptions, StateMachineDefinition } from 'aws-local-stepfunctions';

type Overrides = NonNullable<RunOptions['overrides']>;
type LocalHandler = NonNullable<Overrides['taskResourceLocalHandlers']>[string];
type JsonValue = Parameters<LocalHandler>[0];

/** The definition cannot run on the local server (unsupported resource, duplicate state name...). */
export class SfnDefinitionError extends Error {
  override readonly name = 'SfnDefinitionError';
}

/** How one overridden Task state runs locally. */
export type SfnTaskSpec =
  /** `arn:aws:states:::lambda:invoke`: input is `{FunctionName, Payload}`, result is `{StatusCode, Payload}`. */
  | { kind: 'lambda-invoke'; resource: string }
  /** A Lambda ARN as the resource: input is the payload, result is the function's answer. */
  | { kind: 'lambda-arn'; resource: string }
  /** A Pass state with a falsy `Result` (0, false, '', null), which the interpreter would ignore. */
  | { kind: 'constant'; value: unknown };

export interface PreparedDefinition {
  /** The definition as given (what DescribeStateMachine returns). */
  original: Record<string, unknown>;
  /** A rewritten copy for the interpreter. */
  runnable: StateMachineDefinition;
  tasks: ReadonlyMap<string, SfnTaskSpec>;
  /** Names of states that carry a `Retry` field. */
  retryStates: readonly string[];
  waitStates: readonly string[];
  /** The original `Type` of every state, by name (history reports these). */
  stateTypes: ReadonlyMap<string, string>;
}

const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$/;
/** Lambda's own ceiling: a lambda:invoke task without TimeoutSeconds cannot outlive it on AWS. */
const LAMBDA_MAX_SECONDS = 900;
/** A syntactically valid resource for rewritten Pass states; always overridden, never called. */
const LOCAL_PASS_RESOURCE = 'arn:aws:lambda:us-east-1:000000000000:function:switchyard-local-pass';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses and rewrites `definition`. Throws `SfnDefinitionError` when a Task uses a resource other
 * than Lambda (the local server has no other integrations) or state names repeat across scopes.
 */
export function prepareDefinition(definition: object | string): PreparedDefinition {
  const original: unknown = typeof definition === 'string' ? JSON.parse(definition) : definition;
  if (!isObject(original)) throw new SfnDefinitionError('definition must be a JSON object');
  const runnable = structuredClone(original);
  const tasks = new Map<string, SfnTaskSpec>();
  const retryStates: string[] = [];
  const waitStates: string[] = [];
  const stateTypes = new Map<string, string>();

  const walk = (machine: unknown, where: string): void => {
    if (!isObject(machine) || !isObject(machine.States)) {
      throw new SfnDefinitionError(`${where}: missing States`);
    }
    for (const [name, state] of Object.entries(machine.States)) {
      if (!isObject(state) || typeof state.Type !== 'string') {
        throw new SfnDefinitionError(`state "${name}" has no Type`);
      }
      if (stateTypes.has(name)) {
        throw new SfnDefinitionError(`state name "${name}" is used more than once in the state machine`);
      }
      stateTypes.set(name, state.Type);
      if (Array.isArray(state.Retry)) retryStates.push(name);
      switch (state.Type) {
        case 'Task':
          tasks.set(name, taskSpec(name, state));
          if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
            state.TimeoutSeconds = LAMBDA_MAX_SECONDS;
          }
          break;
        case 'Pass':
          if ('Result' in state && !state.Result) {
            tasks.set(name, { kind: 'constant', value: state.Result });
            delete state.Result;
            state.Type = 'Task';
            state.Resource = LOCAL_PASS_RESOURCE;
          }
          break;
        case 'Wait':
          waitStates.push(name);
          break;
        case 'Parallel':
          if (!Array.isArray(state.Branches))
            throw new SfnDefinitionError(`Parallel "${name}" has no Branches`);
          for (const [i, branch] of state.Branches.entries()) walk(branch, `${name}.Branches[${i}]`);
          break;
        case 'Map':
          walk(state.ItemProcessor ?? state.Iterator, `${name}.ItemProcessor`);
          break;
      }
    }
  };
  walk(runnable, 'definition');
  return {
    original,
    runnable: runnable as unknown as StateMachineDefinition,
    tasks,
    retryStates,
    waitStates,
    stateTypes,
  };
}

function taskSpec(name: string, state: Record<string, unknown>): SfnTaskSpec {
  const resource = state.Resource;
  if (typeof resource === 'string' && LAMBDA_INVOKE.test(resource))
    return { kind: 'lambda-invoke', resource };
  if (typeof resource === 'string' && LAMBDA_ARN.test(resource)) return { kind: 'lambda-arn', resource };
  throw new SfnDefinitionError(
    `Task "${name}" uses resource ${JSON.stringify(resource)}; the local server runs only Lambda tasks ` +
      '(arn:aws:states:::lambda:invoke or a Lambda function ARN)',
  );
}

export interface OverrideDeps {
  invokeFunction: (functionArn: string, payload: unknown) => Promise<unknown>;
  /** True once the execution has ended or was stopped: no new invocation may start then. */
  isClosed: () => boolean;
  retryIntervalOverrideMs?: number;
  waitOverrideMs?: number;
}

/** An error whose `name` is what Retry/Catch `ErrorEquals` match (the interpreter reads `name`). */
export function statesError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** The error a failing invocation becomes: `name` is Lambda's errorType, `message` the cause. */
export function taskError(err: unknown): Error {
  return statesError(
    err instanceof Error && err.name ? err.name : 'Error',
    err instanceof Error ? err.message : String(err),
  );
}

const asJson = (value: unknown): JsonValue =>
  value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue);

/** The interpreter overrides for one execution. */
export function buildOverrides(prepared: PreparedDefinition, deps: OverrideDeps): Overrides {
  const handlers: Record<string, LocalHandler> = {};
  for (const [name, spec] of prepared.tasks) {
    handlers[name] = async (input) => {
      if (spec.kind === 'constant') return asJson(spec.value);
      if (deps.isClosed()) throw statesError('States.Runtime', 'the execution is no longer running');
      let functionArn = spec.resource;
      let payload: unknown = input;
      if (spec.kind === 'lambda-invoke') {
        if (!isObject(input) || typeof input.FunctionName !== 'string') {
          throw statesError('States.Runtime', `Task "${name}": lambda:invoke needs Parameters.FunctionName`);
        }
        functionArn = input.FunctionName;
        payload = 'Payload' in input ? input.Payload : {};
      }
      let result: unknown;
      try {
        // A JSON round trip, as over the wire: the function cannot share objects with the state.
        result = await deps.invokeFunction(functionArn, asJson(payload));
      } catch (err) {
        throw taskError(err);
      }
      if (spec.kind === 'lambda-arn') return asJson(result);
      return { StatusCode: 200, Payload: asJson(result), ExecutedVersion: '$LATEST' };
    };
  }
  const overrides: Overrides = { taskResourceLocalHandlers: handlers };
  const retryMs = deps.retryIntervalOverrideMs;
  if (retryMs !== undefined) {
    overrides.retryIntervalOverrides = Object.fromEntries(prepared.retryStates.map((n) => [n, retryMs]));
  }
  const waitMs = deps.waitOverrideMs;
  if (waitMs !== undefined) {
    overrides.waitTimeOverrides = Object.fromEntries(prepared.waitStates.map((n) => [n, waitMs]));
  }
  return overrides;
}
