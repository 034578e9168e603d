// Maps the event log of the local ASL interpreter onto Step Functions execution-history events
// (GetExecutionHistory). Deliberately modest: state entered/exited, task failures and timeouts,
// Map iterations; the execution-level events are written by the server itself.
import type { StateMachine } from 'aws-local-stepfunctions';
import type { SfnTaskSpec } from './sfn-asl.ts';

export type InterpreterEvent =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** One history event, as GetExecutionHistory returns it (the date is converted on the wire). */
export interface SfnHistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  /** The API member holding the details, e.g. `stateEnteredEventDetails`. */
  detailsKey?: string;
  details?: Record<string, unknown>;
}

export type HistoryEntry = Omit<SfnHistoryEvent, 'id' | 'previousEventId'>;

const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value ?? null));
const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

/** A history entry with its details member named after the type, as the API does. */
export function historyEntry(type: string, timestamp: Date, details?: Record<string, unknown>): HistoryEntry {
  return details
    ? { type, timestamp, detailsKey: `${lowerFirst(type)}EventDetails`, details }
    : { type, timestamp };
}

/** The history entries for one interpreter event (none for those without an AWS counterpart). */
export function historyEntriesFor(
  event: InterpreterEvent,
  stateTypes: ReadonlyMap<string, string>,
  tasks: ReadonlyMap<string, SfnTaskSpec>,
): HistoryEntry[] {
  const at = new Date(event.timestamp);
  switch (event.type) {
    case 'StateEntered': {
      const type = stateTypes.get(event.state.name) ?? event.state.type;
      return [
        historyEntry(`${type}StateEntered`, at, {
          name: event.state.name,
          input: text(event.state.input),
          inputDetails: { truncated: false },
        }),
      ];
    }
    case 'StateExited': {
      const type = stateTypes.get(event.state.name) ?? event.state.type;
      return [
        historyEntry(`${type}StateExited`, at, {
          name: event.state.name,
          output: text(event.state.output),
          outputDetails: { truncated: false },
        }),
      ];
    }
    case 'StateFailed': {
      const spec = tasks.get(event.state.name);
      const failure = { error: event.Error, cause: text(event.Cause) };
      const timedOut = event.Error === 'States.Timeout';
      if (spec?.kind === 'lambda-invoke') {
        return [
          historyEntry(timedOut ? 'TaskTimedOut' : 'TaskFailed', at, {
            resourceType: 'lambda',
            resource: 'invoke',
            ...failure,
          }),
        ];
      }
      if (spec?.kind === 'lambda-arn') {
        return [historyEntry(timedOut ? 'LambdaFunctionTimedOut' : 'LambdaFunctionFailed', at, failure)];
      }
      const type = stateTypes.get(event.state.name);
      return type === 'Map' || type === 'Parallel' ? [historyEntry(`${type}StateFailed`, at)] : [];
    }
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
      return [historyEntry(event.type, at, { name: event.parentState.name, index: event.index })];
    default:
      return [];
  }
}
