// Metrics as CloudWatch EMF, aggregated in memory and written at the end of an invocation (off
// the request's work: the answer is built before the flush). Each dimension set (bounded by the
// contract's dimensions) is written as one EMF document in the shape Powertools Metrics writes
// (`_aws.CloudWatchMetrics` with the namespace, the `service` dimension first, the contract's
// names and units; one value as a number, several as an array, at most 99 a document), built
// here directly: through Powertools' `Metrics` the serialisation was the largest part of the
// router handler's own time per request (its stores read `process.env` on every call).
// Datapoints are recorded synchronously into this object's own maps, so many concurrent
// invocations in one environment (Lambda Managed Instances) share one aggregate and nothing is
// lost or attributed to the wrong dimensions; a flush writes everything recorded so far,
// whichever invocation recorded it. Names and units come from the core's contract.
import { METRICS, METRICS_NAMESPACE, type MetricKey } from '@switchyard/core';

export type Dimensions = Readonly<Record<string, string>>;

export interface EmfMetricsOptions {
  /** The `service` dimension (the function's role, e.g. `router`). */
  serviceName: string;
  /** @default METRICS_NAMESPACE */
  namespace?: string;
  /** Where EMF lines go. @default process.stdout */
  write?: (line: string) => void;
  /** Write at most this often (managed instances batch across invocations); 0: at every flush. @default 0 */
  minFlushIntervalMs?: number;
  now?: () => number;
  /** Record nothing. @default POWERTOOLS_METRICS_DISABLED is `true` (the local stack sets it) */
  disabled?: boolean;
}

/** EMF keeps at most 100 values per metric in one document; Powertools writes by itself at the 100th. */
const MAX_VALUES = 99;

interface Group {
  readonly dimensions: Dimensions;
  values: Map<MetricKey, number[]>;
}

export class EmfMetrics {
  readonly #groups = new Map<string, Group>();
  /** The dimensions object last recorded with (since the last flush), and its group. */
  #lastDimensions: Dimensions | undefined;
  #lastGroup: Group | undefined;
  readonly #options: Required<Omit<EmfMetricsOptions, 'now' | 'disabled'>> & { now: () => number };
  #lastFlush = Number.NEGATIVE_INFINITY;
  readonly disabled: boolean;

  constructor(options: EmfMetricsOptions) {
    this.#options = {
      namespace: METRICS_NAMESPACE,
      write: (line) => process.stdout.write(line),
      minFlushIntervalMs: 0,
      now: Date.now,
      ...options,
    };
    this.disabled = options.disabled ?? process.env.POWERTOOLS_METRICS_DISABLED === 'true';
  }

  /** Records one value of metric `key` with `dimensions` (their names from the contract). */
  add(key: MetricKey, dimensions: Dimensions, value = 1): void {
    if (this.disabled || !Number.isFinite(value)) return;
    // A caller records several metrics in a row with one dimensions object: its key is built once.
    let group = this.#lastDimensions === dimensions ? this.#lastGroup : undefined;
    if (!group) {
      const id = groupKey(dimensions);
      group = this.#groups.get(id);
      if (!group) {
        group = { dimensions, values: new Map() };
        this.#groups.set(id, group);
      }
      this.#lastDimensions = dimensions;
      this.#lastGroup = group;
    }
    const list = group.values.get(key);
    if (list) list.push(value);
    else group.values.set(key, [value]);
  }

  /** Datapoints recorded and not yet written. */
  get pending(): number {
    let n = 0;
    for (const g of this.#groups.values()) for (const v of g.values.values()) n += v.length;
    return n;
  }

  /** Writes what was recorded when the interval has passed (or always, with no interval). */
  flushIfDue(): void {
    if (this.#options.now() - this.#lastFlush >= this.#options.minFlushIntervalMs) this.flush();
  }

  /** Writes one EMF document per dimension set (and per 99 values of a metric); clears them. */
  flush(): void {
    const now = this.#options.now();
    this.#lastFlush = now;
    const groups = [...this.#groups.values()];
    this.#groups.clear();
    this.#lastDimensions = undefined;
    this.#lastGroup = undefined;
    for (const group of groups) {
      const dimensions: Record<string, string> = { service: this.#options.serviceName, ...group.dimensions };
      const names = Object.keys(dimensions);
      // The group is no longer in #groups: its map is read in place (no copy of its entries).
      let rest: Iterable<[MetricKey, number[]]> = group.values;
      for (;;) {
        const next: Array<[MetricKey, number[]]> = [];
        const defs: Array<{ Name: string; Unit: string }> = [];
        const values: Record<string, number | number[]> = {};
        for (const [key, list] of rest) {
          const def = METRICS[key];
          const taken = list.length > MAX_VALUES ? list.slice(0, MAX_VALUES) : list;
          defs.push({ Name: def.name, Unit: def.unit });
          values[def.name] = taken.length === 1 ? (taken[0] as number) : taken;
          if (list.length > MAX_VALUES) next.push([key, list.slice(MAX_VALUES)]);
        }
        const doc = {
          _aws: {
            Timestamp: now,
            CloudWatchMetrics: [{ Namespace: this.#options.namespace, Dimensions: [names], Metrics: defs }],
          },
          ...dimensions,
          ...values,
        };
        this.#options.write(`${JSON.stringify(doc)}\n`);
        if (next.length === 0) break;
        rest = next;
      }
    }
  }
}

/** The aggregate's key of a dimension set: its `name=value` pairs by name (one pair: no sort). */
function groupKey(dimensions: Dimensions): string {
  const names = Object.keys(dimensions);
  if (names.length === 1) {
    const name = names[0] as string;
    return `${name}=${dimensions[name]}`;
  }
  names.sort();
  let key = '';
  for (const k of names) key += `${key === '' ? '' : '\u0000'}${k}=${dimensions[k]}`;
  return key;
}
