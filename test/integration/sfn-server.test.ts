// The local Step Functions server driven by the real SFNClient: a CDK-style fallback chain (Retry,
// Catch, MathAdd, Choice, Fail), nested Parallel/Map overrides, the Context Object, STANDARD
// idempotency, StopExecution, listing, history and the API's error types.
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidExecutionInput,
  InvalidName,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  SfnDefinitionError,
  type SfnExecutionEvent,
  type StepFunctionsServer,
  startStepFunctionsServer,
} from '../../infra/local/sfn.server.ts';
import { LOCAL_AWS } from '../support/local-aws.ts';

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:';
const INVOKER = `${FN}target-invoker`;

/** What CDK emits for the job fallback chain (token-resolved). */
const fallbackChain = {
  StartAt: 'Start',
  States: {
    Start: { Type: 'Pass', Result: 0, ResultPath: '$.cursor', Next: 'Invoke' },
    Invoke: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: INVOKER, 'Payload.$': '$' },
      ResultSelector: { 'body.$': '$.Payload' },
      ResultPath: '$.result',
      OutputPath: '$.result.body',
      Retry: [
        {
          ErrorEquals: ['Switchyard.Retryable'],
          IntervalSeconds: 1,
          BackoffRate: 2,
          MaxAttempts: 2,
          JitterStrategy: 'FULL',
        },
      ],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.last_error', Next: 'NextTarget' }],
      End: true,
    },
    NextTarget: {
      Type: 'Pass',
      Parameters: {
        'targets.$': '$.targets',
        'cursor.$': 'States.MathAdd($.cursor, 1)',
        'count.$': 'States.ArrayLength($.targets)',
        'last_error.$': '$.last_error',
      },
      Next: 'HasNext',
    },
    HasNext: {
      Type: 'Choice',
      Choices: [{ Variable: '$.cursor', NumericLessThanPath: '$.count', Next: 'Invoke' }],
      Default: 'Exhausted',
    },
    Exhausted: { Type: 'Fail', Error: 'Switchyard.Exhausted', CausePath: '$.last_error.Cause' },
  },
};

type Outcome = 'ok' | 'retryable' | 'fatal';

const named = (name: string, message: string): Error => Object.assign(new Error(message), { name });

function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
} {
  let resolve: (v: T) => void = () => undefined;
  let reject: (e: unknown) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Every call the server made to `invokeFunction`. */
const calls: Array<{ arn: string; payload: unknown }> = [];
/** Per target: the outcomes of its next calls (default: ok). */
let script: Record<string, Outcome[]> = {};
/** When set, the `blocking` function waits for this before answering. */
let gate: { entered: ReturnType<typeof deferred>; release: ReturnType<typeof deferred<unknown>> } | undefined;

async function invokeFunction(arn: string, payload: unknown): Promise<unknown> {
  calls.push({ arn, payload });
  const p = payload as { targets?: string[]; cursor?: number; last_error?: unknown; n?: number };
  if (arn === INVOKER) {
    const target = p.targets?.[p.cursor ?? -1] ?? 'none';
    const outcome = script[target]?.shift() ?? 'ok';
    if (outcome === 'retryable') throw named('Switchyard.Retryable', `${target} is busy`);
    if (outcome === 'fatal') throw named('Switchyard.Fatal', `${target} rejected the request`);
    return { served_by: target, last_error: p.last_error ?? null };
  }
  if (arn === `${FN}blocking`) {
    gate?.entered.resolve(undefined);
    return gate?.release.promise;
  }
  if (arn === `${FN}double`) return { doubled: (p.n ?? 0) * 2 };
  return { echo: payload };
}

let server: StepFunctionsServer;
const observed: SfnExecutionEvent[] = [];
let sfn: SFNClient;
let chainArn: string;
let blockingArn: string;

const blockingMachine = {
  StartAt: 'Block',
  States: {
    Block: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: `${FN}blocking`, 'Payload.$': '$' },
      Retry: [{ ErrorEquals: ['Switchyard.Retryable'], MaxAttempts: 3 }],
      OutputPath: '$.Payload',
      End: true,
    },
  },
};

async function startAndWait(stateMachineArn: string, input: unknown, name?: string) {
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), name }),
  );
  if (!executionArn) throw new Error('no executionArn');
  await server.waitForExecution(executionArn);
  return sfn.send(new DescribeExecutionCommand({ executionArn }));
}

beforeAll(async () => {
  server = await startStepFunctionsServer({
    invokeFunction,
    retryIntervalOverrideMs: 0,
    waitOverrideMs: 0,
    onExecutionEvent: (e) => observed.push(e),
  });
  sfn = new SFNClient({
    endpoint: server.url,
    ...LOCAL_AWS,
  });
  chainArn = server.registerStateMachine({ name: 'job-chain', definition: JSON.stringify(fallbackChain) });
  blockingArn = server.registerStateMachine({ name: 'blocking', definition: blockingMachine });
});

afterAll(async () => {
  sfn.destroy();
  await server.stop();
});

beforeEach(() => {
  calls.length = 0;
  script = {};
  gate = undefined;
});

const invocations = (target: string) =>
  calls.filter(
    (c) =>
      c.arn === INVOKER &&
      (c.payload as { targets: string[]; cursor: number }).targets[
        (c.payload as { cursor: number }).cursor
      ] === target,
  ).length;

describe('the fallback chain', () => {
  it('retries a Switchyard.Retryable error, then succeeds with the output', async () => {
    script = { a: ['retryable', 'retryable', 'ok'] };
    const out = await startAndWait(chainArn, { targets: ['a', 'b'] });
    expect(out.status).toBe('SUCCEEDED');
    expect(JSON.parse(out.output ?? 'null')).toEqual({ served_by: 'a', last_error: null });
    expect(invocations('a')).toBe(3);
    expect(invocations('b')).toBe(0);
    expect(out.startDate).toBeInstanceOf(Date);
    expect(out.stopDate).toBeInstanceOf(Date);
  });

  it('sends an error Retry does not match to Catch, with its name in $.last_error.Error', async () => {
    script = { a: ['fatal'] };
    const out = await startAndWait(chainArn, { targets: ['a', 'b'] });
    expect(out.status).toBe('SUCCEEDED');
    expect(JSON.parse(out.output ?? 'null')).toEqual({
      served_by: 'b',
      last_error: { Error: 'Switchyard.Fatal', Cause: 'a rejected the request' },
    });
    expect(invocations('a')).toBe(1);
    expect(invocations('b')).toBe(1);
  });

  it('ends FAILED with error and cause when every target fails', async () => {
    script = { a: ['retryable', 'retryable', 'retryable'], b: ['fatal'] };
    const out = await startAndWait(chainArn, { targets: ['a', 'b'] });
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('Switchyard.Exhausted');
    expect(out.cause).toBe('b rejected the request');
    expect(out.output).toBeUndefined();
    expect(invocations('a')).toBe(3);
    expect(invocations('b')).toBe(1);
  });

  it('passes the lambda:invoke Payload (the state input) to the function', async () => {
    await startAndWait(chainArn, { targets: ['a'], request: { id: 'r1' } });
    expect(calls).toEqual([{ arn: INVOKER, payload: { targets: ['a'], request: { id: 'r1' }, cursor: 0 } }]);
  });

  it('records the run in the execution history', async () => {
    script = { a: ['retryable', 'ok'] };
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: chainArn, input: JSON.stringify({ targets: ['a'] }) }),
    );
    if (!executionArn) throw new Error('no executionArn');
    await server.waitForExecution(executionArn);
    const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(types).toContain('PassStateEntered');
    expect(types.filter((t) => t === 'TaskStateEntered')).toHaveLength(1);
    const failed = events.filter((e) => e.type === 'TaskFailed');
    expect(failed.map((e) => e.taskFailedEventDetails?.error)).toEqual(['Switchyard.Retryable']);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]?.executionStartedEventDetails?.input).toBe(JSON.stringify({ targets: ['a'] }));
    expect(events[0]?.timestamp).toBeInstanceOf(Date);
    const seen = observed.filter((e) => e.executionArn === executionArn);
    expect(seen.map((e) => e.event.type)).toEqual(types);
    expect(seen.at(-1)?.status).toBe('SUCCEEDED');

    const reversed = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 2 }),
    );
    expect(reversed.events?.map((e) => e.type)[0]).toBe('ExecutionSucceeded');
    expect(reversed.events).toHaveLength(2);
    expect(reversed.nextToken).toBeTypeOf('string');
  });
});

describe('task overrides, nested states and the Context Object', () => {
  it('overrides Tasks inside Parallel branches and Map item processors', async () => {
    const arn = server.registerStateMachine({
      name: 'nested',
      definition: {
        StartAt: 'Fan',
        States: {
          Fan: {
            Type: 'Parallel',
            End: true,
            Branches: [
              {
                StartAt: 'Echo',
                States: {
                  Echo: {
                    Type: 'Task',
                    Resource: 'arn:aws:states:::lambda:invoke',
                    Parameters: { FunctionName: `${FN}echo`, 'Payload.$': '$.tag' },
                    End: true,
                  },
                },
              },
              {
                StartAt: 'Each',
                States: {
                  Each: {
                    Type: 'Map',
                    ItemsPath: '$.items',
                    ItemProcessor: {
                      StartAt: 'Double',
                      States: { Double: { Type: 'Task', Resource: `${FN}double`, End: true } },
                    },
                    End: true,
                  },
                },
              },
            ],
          },
        },
      },
    });
    const out = await startAndWait(arn, { tag: 't', items: [{ n: 1 }, { n: 2 }] });
    expect(out.status).toBe('SUCCEEDED');
    expect(JSON.parse(out.output ?? 'null')).toEqual([
      { StatusCode: 200, Payload: { echo: 't' }, ExecutedVersion: '$LATEST' },
      [{ doubled: 2 }, { doubled: 4 }],
    ]);
    expect(calls.map((c) => c.arn).sort()).toEqual([`${FN}double`, `${FN}double`, `${FN}echo`]);
  });

  it('gives the states a Context Object and skips Wait pauses when told to', async () => {
    const arn = server.registerStateMachine({
      name: 'context',
      definition: {
        StartAt: 'Pause',
        States: {
          Pause: { Type: 'Wait', Seconds: 3600, Next: 'Describe' },
          Describe: {
            Type: 'Pass',
            Parameters: {
              'id.$': '$$.Execution.Id',
              'name.$': '$$.Execution.Name',
              'start.$': '$$.Execution.StartTime',
              'machine.$': '$$.StateMachine.Id',
              'machineName.$': '$$.StateMachine.Name',
            },
            End: true,
          },
        },
      },
    });
    const out = await startAndWait(arn, {}, 'ctx-1');
    expect(out.status).toBe('SUCCEEDED');
    const ctx = JSON.parse(out.output ?? '{}') as Record<string, string>;
    expect(ctx).toMatchObject({
      id: 'arn:aws:states:us-east-1:000000000000:execution:context:ctx-1',
      name: 'ctx-1',
      machine: arn,
      machineName: 'context',
    });
    expect(out.executionArn).toBe(ctx.id);
    expect(Number.isNaN(Date.parse(ctx.start ?? ''))).toBe(false);
  });

  it('refuses a definition with a Task it cannot run locally', () => {
    expect(() =>
      server.registerStateMachine({
        name: 'ddb',
        definition: {
          StartAt: 'Put',
          States: {
            Put: {
              Type: 'Task',
              Resource: 'arn:aws:states:::dynamodb:putItem',
              Parameters: { TableName: 't', Item: {} },
              End: true,
            },
          },
        },
      }),
    ).toThrow(SfnDefinitionError);
  });
});

describe('StartExecution idempotency and StopExecution', () => {
  it('starts a name once: same input returns the running execution, other input is refused', async () => {
    gate = { entered: deferred(), release: deferred<unknown>() };
    const input = JSON.stringify({ job: 'j1' });
    const first = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: blockingArn, name: 'j1', input }),
    );
    await gate.entered.promise;
    const again = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: blockingArn, name: 'j1', input }),
    );
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    await expect(
      sfn.send(
        new StartExecutionCommand({ stateMachineArn: blockingArn, name: 'j1', input: '{"job":"other"}' }),
      ),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);

    gate.release.resolve({ done: true });
    const record = await server.waitForExecution(first.executionArn ?? '');
    expect(record.status).toBe('SUCCEEDED');
    expect(calls.filter((c) => c.arn === `${FN}blocking`)).toHaveLength(1);
    expect(server.executions(blockingArn).filter((e) => e.name === 'j1')).toHaveLength(1);
    // Once closed, AWS refuses the name whatever the input.
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: blockingArn, name: 'j1', input })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('aborts a running execution and never invokes for it afterwards', async () => {
    gate = { entered: deferred(), release: deferred<unknown>() };
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: blockingArn, name: 'to-stop', input: '{}' }),
    );
    await gate.entered.promise;
    const stopped = await sfn.send(
      new StopExecutionCommand({ executionArn, error: 'Operator.Stop', cause: 'no longer needed' }),
    );
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(out).toMatchObject({ status: 'ABORTED', error: 'Operator.Stop', cause: 'no longer needed' });
    expect(out.stopDate).toBeInstanceOf(Date);

    // The in-flight call now fails with a retryable error: the Retry must not call again.
    gate.release.reject(named('Switchyard.Retryable', 'late'));
    await new Promise<void>((resolve) => setImmediate(resolve)); // flush the interpreter's microtasks
    expect(calls.filter((c) => c.arn === `${FN}blocking`)).toHaveLength(1);
    const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events.at(-1)?.type).toBe('ExecutionAborted');
  });

  it('stop() aborts running executions', async () => {
    const local = await startStepFunctionsServer({ invokeFunction: () => new Promise(() => undefined) });
    const arn = local.registerStateMachine({ name: 'forever', definition: blockingMachine });
    const client = new SFNClient({
      endpoint: local.url,
      ...LOCAL_AWS,
    });
    const { executionArn = '' } = await client.send(new StartExecutionCommand({ stateMachineArn: arn }));
    client.destroy();
    await local.stop();
    expect((await local.waitForExecution(executionArn)).status).toBe('ABORTED');
  });
});

describe('the API surface', () => {
  it('answers with the AWS error types the SDK knows', async () => {
    const unknownExecution = 'arn:aws:states:us-east-1:000000000000:execution:job-chain:nope';
    await expect(
      sfn.send(new DescribeExecutionCommand({ executionArn: unknownExecution })),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: `${chainArn}-missing`, input: '{}' })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: chainArn, name: 'has space', input: '{}' })),
    ).rejects.toBeInstanceOf(InvalidName);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: chainArn, name: 'x'.repeat(81), input: '{}' })),
    ).rejects.toBeInstanceOf(InvalidName);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: chainArn, input: '{not json' })),
    ).rejects.toBeInstanceOf(InvalidExecutionInput);
    await expect(
      sfn.send(
        new StartExecutionCommand({ stateMachineArn: chainArn, input: JSON.stringify('x'.repeat(262_144)) }),
      ),
    ).rejects.toBeInstanceOf(InvalidExecutionInput);
    expect(calls).toHaveLength(0);
  });

  it('lists a state machine’s executions, filtered by status and paged', async () => {
    const arn = server.registerStateMachine({ name: 'listing', definition: fallbackChain });
    script = { bad: ['fatal', 'fatal'] };
    const ok1 = await startAndWait(arn, { targets: ['good'] }, 'ok-1');
    const failed = await startAndWait(arn, { targets: ['bad'] }, 'failed-1');
    const ok2 = await startAndWait(arn, { targets: ['good'] }, 'ok-2');
    await startAndWait(chainArn, { targets: ['good'] }, 'elsewhere');
    expect([ok1.status, failed.status, ok2.status]).toEqual(['SUCCEEDED', 'FAILED', 'SUCCEEDED']);

    const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn }));
    expect(all.executions?.map((e) => e.name)).toEqual(['ok-2', 'failed-1', 'ok-1']);
    const onlyFailed = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'FAILED' }),
    );
    expect(onlyFailed.executions?.map((e) => [e.name, e.status])).toEqual([['failed-1', 'FAILED']]);
    const succeeded = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'SUCCEEDED' }),
    );
    expect(succeeded.executions?.map((e) => e.name)).toEqual(['ok-2', 'ok-1']);

    const first = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 2 }));
    const rest = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 2, nextToken: first.nextToken }),
    );
    expect([...(first.executions ?? []), ...(rest.executions ?? [])].map((e) => e.name)).toEqual([
      'ok-2',
      'failed-1',
      'ok-1',
    ]);
    expect(rest.nextToken).toBeUndefined();
  });

  it('describes and lists state machines', async () => {
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: chainArn }));
    expect(described).toMatchObject({ name: 'job-chain', status: 'ACTIVE', type: 'STANDARD' });
    expect(JSON.parse(described.definition ?? '{}')).toEqual(fallbackChain);
    expect(described.creationDate).toBeInstanceOf(Date);
    const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({}));
    expect(stateMachines.map((m) => m.stateMachineArn)).toEqual(
      expect.arrayContaining([chainArn, blockingArn]),
    );
  });

  it('runs StartSyncExecution to the end (with the SDK’s sync- host prefix disabled)', async () => {
    const client = new SFNClient({
      endpoint: server.url,
      ...LOCAL_AWS,
      disableHostPrefix: true,
    });
    script = { a: ['fatal'] };
    const out = await client.send(
      new StartSyncExecutionCommand({
        stateMachineArn: chainArn,
        input: JSON.stringify({ targets: ['a', 'b'] }),
      }),
    );
    client.destroy();
    expect(out.status).toBe('SUCCEEDED');
    expect(JSON.parse(out.output ?? 'null')).toMatchObject({ served_by: 'b' });
  });
});
