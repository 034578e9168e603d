// Local Step Functions: an HTTP server speaking the AWS Step Functions API (AWS JSON 1.0) so the
// real `@aws-sdk/client-sfn` can drive it. State machines run in-process on the ASL interpreter
// `aws-local-stepfunctions`; every Task is overridden to call `invokeFunction` (never real AWS).
// Executions, their status and history live in memory.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
} from 'aws-local-stepfunctions';
import { buildOverrides, type PreparedDefinition, prepareDefinition, SfnDefinitionError } from './sfn-asl.ts';
import { type HistoryEntry, historyEntriesFor, historyEntry, type SfnHistoryEvent } from './sfn-history.ts';

export { SfnDefinitionError } from './sfn-asl.ts';
export type { SfnHistoryEvent } from './sfn-history.ts';

type JsonValue = Parameters<StateMachine['run']>[0];

export type SfnExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** An execution as the server keeps it (a snapshot; dates are Dates, input/output JSON text). */
export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: SfnExecutionStatus;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
  history: readonly SfnHistoryEvent[];
}

/** Emitted for every history event appended to an execution (the last one is terminal). */
export interface SfnExecutionEvent {
  executionArn: string;
  stateMachineArn: string;
  status: SfnExecutionStatus;
  event: SfnHistoryEvent;
}

export interface StepFunctionsServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  region?: string;
  accountId?: string;
  /** Runs a Lambda function in-process. A thrown error's `name` is the state error (Lambda's errorType). */
  invokeFunction: (functionArn: string, payload: unknown) => Promise<unknown>;
  /** Replaces every Retry pause with this many ms (tests); otherwise real backoff and jitter. */
  retryIntervalOverrideMs?: number;
  /** Replaces every Wait state's pause with this many ms. */
  waitOverrideMs?: number;
  onExecutionEvent?: (event: SfnExecutionEvent) => void;
}

export interface RegisterStateMachineInput {
  name: string;
  /** Defaults to `arn:aws:states:<region>:<account>:stateMachine:<name>`. */
  arn?: string;
  /** The ASL definition, token-resolved: an object or its JSON text. */
  definition: object | string;
  roleArn?: string;
}

export interface StepFunctionsServer {
  url: string;
  port: number;
  /** Aborts running executions and closes the server. */
  stop(): Promise<void>;
  /** Registers (or replaces) a state machine; throws `SfnDefinitionError` if it cannot run locally. */
  registerStateMachine(input: RegisterStateMachineInput): string;
  /** Snapshots of executions, oldest first, optionally of one state machine. */
  executions(stateMachineArn?: string): ExecutionRecord[];
  /** Resolves once the execution has ended (at once if it has); rejects for an unknown ARN. */
  waitForExecution(executionArn: string): Promise<ExecutionRecord>;
}

/** An API error: `__type` + message, HTTP 400 unless said otherwise. */
class SfnApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface MachineEntry {
  arn: string;
  name: string;
  roleArn: string;
  definitionText: string;
  creationDate: Date;
  prepared: PreparedDefinition;
  machine: StateMachine;
}

interface Execution extends Omit<ExecutionRecord, 'history'> {
  history: SfnHistoryEvent[];
  /** Set when the run settles or a stop is requested: no invocation may start after it. */
  closed: boolean;
  stopRequest?: { error?: string; cause?: string };
  abort: () => void;
  done: Promise<void>;
}

type Outcome = Pick<Execution, 'status' | 'output' | 'error' | 'cause'>;
type Body = Record<string, unknown>;

const MAX_INPUT_BYTES = 256 * 1024;
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const STATUSES: readonly SfnExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
/** Characters AWS refuses in state machine and execution names (besides whitespace and controls). */
const FORBIDDEN_NAME_CHARS = new Set('<>{}[]?*"#%\\^|~`$&,;:/');

/** Why `name` is not a valid execution or state machine name, or undefined when it is. */
export function invalidNameReason(name: string): string | undefined {
  if (name.length < 1 || name.length > 80) return 'must be 1 to 80 characters long';
  for (const ch of name) {
    const code = ch.codePointAt(0) ?? 0;
    if (/\s/.test(ch) || FORBIDDEN_NAME_CHARS.has(ch) || code <= 0x1f || (code >= 0x7f && code <= 0x9f)) {
      return `contains the character ${JSON.stringify(ch)}`;
    }
  }
  return undefined;
}

/** `arn:...:stateMachine:<sm>` + `<name>` → `arn:...:execution:<sm>:<name>`, as AWS forms it. */
export function executionArnFor(stateMachineArn: string, name: string): string {
  const parts = stateMachineArn.split(':');
  return [...parts.slice(0, 5), 'execution', parts[6] ?? '', name].join(':');
}

const seconds = (date: Date): number => date.getTime() / 1000;

const str = (body: Body, key: string): string | undefined => {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new SfnApiError('ValidationException', `${key} must be a string`);
  return value;
};

const required = (body: Body, key: string): string => {
  const value = str(body, key);
  if (value === undefined) throw new SfnApiError('MissingRequiredParameter', `${key} is required`);
  return value;
};

/** One page of `items` by `maxResults` and an opaque `nextToken` (an offset). */
function page<T>(items: readonly T[], body: Body, defaultMax: number): { items: T[]; nextToken?: string } {
  const max = typeof body.maxResults === 'number' && body.maxResults > 0 ? body.maxResults : defaultMax;
  const token = str(body, 'nextToken');
  const start = token === undefined ? 0 : Number(Buffer.from(token, 'base64url').toString());
  if (!Number.isInteger(start) || start < 0 || start > items.length) {
    throw new SfnApiError('InvalidToken', 'nextToken is invalid');
  }
  const end = start + max;
  return {
    items: items.slice(start, end),
    ...(end < items.length ? { nextToken: Buffer.from(String(end)).toString('base64url') } : {}),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new SfnApiError('ValidationException', 'request body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function outcomeOf(err: unknown, stop: Execution['stopRequest']): Outcome {
  if (err instanceof ExecutionAbortedError) return { status: 'ABORTED', ...stop };
  if (err instanceof ExecutionTimeoutError) {
    return {
      status: 'TIMED_OUT',
      error: 'States.Timeout',
      cause: 'The execution exceeded its TimeoutSeconds.',
    };
  }
  const failure = err instanceof ExecutionError && err.cause instanceof Error ? err.cause : err;
  if (failure instanceof Error) return { status: 'FAILED', error: failure.name, cause: failure.message };
  return { status: 'FAILED', error: 'States.Runtime', cause: String(failure) };
}

function terminalEntry(exec: Execution, at: Date): HistoryEntry {
  const failure = { ...(exec.error === undefined ? {} : { error: exec.error }), cause: exec.cause };
  switch (exec.status) {
    case 'SUCCEEDED':
      return historyEntry('ExecutionSucceeded', at, {
        output: exec.output,
        outputDetails: { truncated: false },
      });
    case 'ABORTED':
      return historyEntry('ExecutionAborted', at, failure);
    case 'TIMED_OUT':
      return historyEntry('ExecutionTimedOut', at, failure);
    default:
      return historyEntry('ExecutionFailed', at, failure);
  }
}

const snapshot = (exec: Execution): ExecutionRecord => ({
  executionArn: exec.executionArn,
  stateMachineArn: exec.stateMachineArn,
  name: exec.name,
  status: exec.status,
  input: exec.input,
  output: exec.output,
  error: exec.error,
  cause: exec.cause,
  startDate: exec.startDate,
  stopDate: exec.stopDate,
  history: [...exec.history],
});

const withoutData = (event: SfnHistoryEvent): SfnHistoryEvent => {
  if (!event.details) return event;
  const { input: _input, output: _output, ...details } = event.details;
  return { ...event, details };
};

const wireEvent = (event: SfnHistoryEvent): Body => ({
  timestamp: seconds(event.timestamp),
  type: event.type,
  id: event.id,
  previousEventId: event.previousEventId,
  ...(event.detailsKey && event.details ? { [event.detailsKey]: event.details } : {}),
});

/** Starts the server on `options.port` (0: a free port) and resolves once it listens. */
export async function startStepFunctionsServer(
  options: StepFunctionsServerOptions,
): Promise<StepFunctionsServer> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const machines = new Map<string, MachineEntry>();
  const executions = new Map<string, Execution>();

  const notify = (exec: Execution, event: SfnHistoryEvent): void => {
    try {
      options.onExecutionEvent?.({
        executionArn: exec.executionArn,
        stateMachineArn: exec.stateMachineArn,
        status: exec.status,
        event,
      });
    } catch {
      // An observer's failure never affects an execution.
    }
  };

  const append = (exec: Execution, entry: HistoryEntry): void => {
    const id = exec.history.length + 1;
    const event: SfnHistoryEvent = { ...entry, id, previousEventId: id - 1 };
    exec.history.push(event);
    notify(exec, event);
  };

  const registerStateMachine = (input: RegisterStateMachineInput): string => {
    const reason = invalidNameReason(input.name);
    if (reason) throw new SfnDefinitionError(`state machine name "${input.name}" ${reason}`);
    const prepared = prepareDefinition(input.definition);
    let machine: StateMachine;
    try {
      machine = new StateMachine(prepared.runnable);
    } catch (err) {
      throw new SfnDefinitionError(err instanceof Error ? err.message : String(err));
    }
    const arn = input.arn ?? `arn:aws:states:${region}:${accountId}:stateMachine:${input.name}`;
    machines.set(arn, {
      arn,
      name: input.name,
      roleArn: input.roleArn ?? `arn:aws:iam::${accountId}:role/${input.name}-role`,
      definitionText: JSON.stringify(prepared.original),
      creationDate: machines.get(arn)?.creationDate ?? new Date(),
      prepared,
      machine,
    });
    return arn;
  };

  const machineOf = (arn: string): MachineEntry => {
    const entry = machines.get(arn);
    if (entry) return entry;
    if (!arn.startsWith('arn:')) throw new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  };

  const executionOf = (arn: string): Execution => {
    const exec = executions.get(arn);
    if (exec) return exec;
    if (!arn.startsWith('arn:')) throw new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  };

  const launch = (entry: MachineEntry, name: string, input: string, parsed: JsonValue): Execution => {
    let finished: () => void = () => undefined;
    const exec: Execution = {
      executionArn: executionArnFor(entry.arn, name),
      stateMachineArn: entry.arn,
      name,
      status: 'RUNNING',
      input,
      startDate: new Date(),
      history: [],
      closed: false,
      abort: () => undefined,
      done: new Promise<void>((resolve) => {
        finished = resolve;
      }),
    };
    executions.set(exec.executionArn, exec);
    append(
      exec,
      historyEntry('ExecutionStarted', exec.startDate, {
        input,
        inputDetails: { truncated: false },
        roleArn: entry.roleArn,
        stateMachineArn: entry.arn,
      }),
    );
    const finish = (outcome: Outcome): void => {
      Object.assign(exec, outcome, { stopDate: new Date() });
      append(exec, terminalEntry(exec, exec.stopDate ?? new Date()));
      finished();
    };
    try {
      const overrides = buildOverrides(entry.prepared, {
        invokeFunction: options.invokeFunction,
        isClosed: () => exec.closed,
        retryIntervalOverrideMs: options.retryIntervalOverrideMs,
        waitOverrideMs: options.waitOverrideMs,
      });
      const run = entry.machine.run(parsed, {
        overrides,
        context: {
          Execution: { Id: exec.executionArn, Name: name, RoleArn: entry.roleArn, RedriveCount: 0 },
          StateMachine: { Id: entry.arn, Name: entry.name },
        },
      });
      exec.abort = run.abort;
      const drained = (async () => {
        for await (const event of run.eventLogs) {
          for (const item of historyEntriesFor(event, entry.prepared.stateTypes, entry.prepared.tasks)) {
            append(exec, item);
          }
        }
      })().catch(() => undefined);
      void run.result
        .then(
          (output): Outcome => ({ status: 'SUCCEEDED', output: JSON.stringify(output ?? null) }),
          (err: unknown) => outcomeOf(err, exec.stopRequest),
        )
        .then(async (outcome) => {
          exec.closed = true;
          await drained;
          finish(outcome);
        })
        .finally(finished);
    } catch (err) {
      exec.closed = true;
      finish(outcomeOf(err, undefined));
    }
    return exec;
  };

  /** StartExecution's checks and STANDARD idempotency; returns the new or the identical running one. */
  const start = (body: Body): Execution => {
    const entry = machineOf(required(body, 'stateMachineArn'));
    const name = str(body, 'name') ?? randomUUID();
    const reason = invalidNameReason(name);
    if (reason) throw new SfnApiError('InvalidName', `Invalid Name: '${name}' ${reason}`);
    const input = str(body, 'input') ?? '{}';
    if (Buffer.byteLength(input, 'utf8') > MAX_INPUT_BYTES) {
      throw new SfnApiError('InvalidExecutionInput', 'Input exceeds the maximum size of 262144 bytes');
    }
    let parsed: JsonValue;
    try {
      parsed = JSON.parse(input) as JsonValue;
    } catch (err) {
      throw new SfnApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: ${String(err)}`);
    }
    const existing = executions.get(executionArnFor(entry.arn, name));
    if (existing) {
      // AWS: same name + same input while open → the same execution; closed or other input → error.
      if (existing.status === 'RUNNING' && existing.input === input) return existing;
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
    }
    return launch(entry, name, input, parsed);
  };

  const stopExecution = async (exec: Execution, stop: Execution['stopRequest']): Promise<void> => {
    if (exec.status === 'RUNNING') {
      exec.stopRequest = stop;
      exec.closed = true;
      exec.abort();
    }
    await exec.done;
  };

  const describeExecution = (exec: Execution): Body => ({
    executionArn: exec.executionArn,
    stateMachineArn: exec.stateMachineArn,
    name: exec.name,
    status: exec.status,
    startDate: seconds(exec.startDate),
    ...(exec.stopDate ? { stopDate: seconds(exec.stopDate) } : {}),
    input: exec.input,
    inputDetails: { included: true },
    ...(exec.output === undefined ? {} : { output: exec.output, outputDetails: { included: true } }),
    ...(exec.error === undefined ? {} : { error: exec.error }),
    ...(exec.cause === undefined ? {} : { cause: exec.cause }),
    redriveCount: 0,
    redriveStatus: 'NOT_REDRIVABLE',
  });

  const describeMachine = (entry: MachineEntry): Body => ({
    stateMachineArn: entry.arn,
    name: entry.name,
    status: 'ACTIVE',
    definition: entry.definitionText,
    roleArn: entry.roleArn,
    type: 'STANDARD',
    creationDate: seconds(entry.creationDate),
    loggingConfiguration: { level: 'OFF', includeExecutionData: false },
  });

  const operations: Record<string, (body: Body) => Body | Promise<Body>> = {
    StartExecution: (body) => {
      const exec = start(body);
      return { executionArn: exec.executionArn, startDate: seconds(exec.startDate) };
    },
    StartSyncExecution: async (body) => {
      const exec = start(body);
      await exec.done;
      const {
        inputDetails: _i,
        outputDetails: _o,
        redriveCount: _c,
        redriveStatus: _s,
        ...out
      } = describeExecution(exec);
      return out;
    },
    DescribeExecution: (body) => describeExecution(executionOf(required(body, 'executionArn'))),
    StopExecution: async (body) => {
      const exec = executionOf(required(body, 'executionArn'));
      await stopExecution(exec, { error: str(body, 'error'), cause: str(body, 'cause') });
      return { stopDate: seconds(exec.stopDate ?? new Date()) };
    },
    ListExecutions: (body) => {
      const entry = machineOf(required(body, 'stateMachineArn'));
      const filter = str(body, 'statusFilter');
      if (filter !== undefined && !STATUSES.includes(filter as SfnExecutionStatus)) {
        throw new SfnApiError('ValidationException', `statusFilter must be one of ${STATUSES.join(', ')}`);
      }
      const matching = [...executions.values()]
        .filter((e) => e.stateMachineArn === entry.arn && (filter === undefined || e.status === filter))
        .reverse();
      const { items, nextToken } = page(matching, body, 100);
      return {
        executions: items.map((e) => ({
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: seconds(e.startDate),
          ...(e.stopDate ? { stopDate: seconds(e.stopDate) } : {}),
        })),
        ...(nextToken ? { nextToken } : {}),
      };
    },
    GetExecutionHistory: (body) => {
      const exec = executionOf(required(body, 'executionArn'));
      const events = body.reverseOrder === true ? [...exec.history].reverse() : exec.history;
      const { items, nextToken } = page(events, body, 1000);
      const data = body.includeExecutionData !== false;
      return {
        events: items.map((e) => wireEvent(data ? e : withoutData(e))),
        ...(nextToken ? { nextToken } : {}),
      };
    },
    CreateStateMachine: (body) => {
      const name = required(body, 'name');
      const definition = required(body, 'definition');
      const arn = `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
      const existing = machines.get(arn);
      if (existing) {
        let same = false;
        try {
          same = JSON.stringify(JSON.parse(definition)) === existing.definitionText;
        } catch {
          // An unparsable definition is not the existing one.
        }
        if (!same) {
          throw new SfnApiError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
        }
        return { stateMachineArn: arn, creationDate: seconds(existing.creationDate) };
      }
      const reason = invalidNameReason(name);
      if (reason) throw new SfnApiError('InvalidName', `Invalid Name: '${name}' ${reason}`);
      try {
        registerStateMachine({ name, definition, roleArn: str(body, 'roleArn') });
      } catch (err) {
        throw new SfnApiError('InvalidDefinition', err instanceof Error ? err.message : String(err));
      }
      return { stateMachineArn: arn, creationDate: seconds(machineOf(arn).creationDate) };
    },
    DescribeStateMachine: (body) => describeMachine(machineOf(required(body, 'stateMachineArn'))),
    ListStateMachines: (body) => {
      const { items, nextToken } = page([...machines.values()], body, 100);
      return {
        stateMachines: items.map((m) => ({
          stateMachineArn: m.arn,
          name: m.name,
          type: 'STANDARD',
          creationDate: seconds(m.creationDate),
        })),
        ...(nextToken ? { nextToken } : {}),
      };
    },
  };

  const send = (res: ServerResponse, status: number, body: unknown, errorType?: string): void => {
    if (res.headersSent) return;
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': randomUUID(),
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const raw = await readBody(req);
      const target = req.headers['x-amz-target'];
      const op = typeof target === 'string' ? target.replace(/^AWSStepFunctions\./, '') : '';
      const operation = req.method === 'POST' ? operations[op] : undefined;
      if (!operation) throw new SfnApiError('UnknownOperationException', `Unknown operation: '${op}'`);
      let body: unknown;
      try {
        body = raw.trim() === '' ? {} : JSON.parse(raw);
      } catch {
        throw new SfnApiError('SerializationException', 'Request body is not valid JSON');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new SfnApiError('SerializationException', 'Request body must be a JSON object');
      }
      send(res, 200, await operation(body as Body));
    } catch (err) {
      if (err instanceof SfnApiError) {
        send(res, err.status, { __type: err.type, message: err.message }, err.type);
      } else {
        send(res, 500, {
          __type: 'InternalFailure',
          message: err instanceof Error ? err.message : String(err),
        });
      }
    }
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    registerStateMachine,
    executions: (stateMachineArn) =>
      [...executions.values()]
        .filter((e) => stateMachineArn === undefined || e.stateMachineArn === stateMachineArn)
        .map(snapshot),
    waitForExecution: async (executionArn) => {
      const exec = executions.get(executionArn);
      if (!exec) throw new Error(`unknown execution ${executionArn}`);
      await exec.done;
      return snapshot(exec);
    },
    stop: async () => {
      const running = [...executions.values()].filter((e) => e.status === 'RUNNING');
      await Promise.all(
        running.map((e) => stopExecution(e, { cause: 'The local Step Functions server stopped.' })),
      );
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
