// HealthStore over a DynamoDB table keyed by `endpoint`: one item per endpoint holding the
// EndpointHealth fields (same snake_case names), passive-outcome counters and `expires_at`
// (epoch seconds, the table's TTL attribute).
//
// Counters (all cumulative, added atomically so any number of writers can share them):
//   outcome_requests / outcome_failures   passive outcomes (router, job invoke step)
//   lh_00 .. lh_21                        latency histogram of passive outcomes (core latency.ts)
//   th_00 .. th_21                        time-to-first-token histogram of streamed successes;
//                                         ttft_ewma_ms, ttft_peak_ewma_ms fold their samples and
//                                         ttft_p95_ms is read from the histogram
//   probe_requests / probe_failures       active probes
//   consecutive_failures                  failures since the last success, probes and passive
// The health check also keeps `window_marks` (counter snapshots for the error-rate window),
// `circuit_reason`, `probe_detail` and `window_requests` / `window_failures`. Rollouts sum the
// passive counters of a version's endpoints (the probes are left out: they are not traffic).
// `router_circuits` maps a router container id to that container's own breaker state for the
// endpoint when it is not closed (`{state, opened_at, reason, at, until}`); a container removes
// its entry when its breaker closes, and entries past `until` (a container that went away) are
// ignored by readers and pruned by the next publish.
//
// In-flight reports: each router container keeps one item, `~router/<container id>`, with its
// requests in flight per endpoint (`inflight`, a map) and `reported_at`, replaced at each report
// and deleted when its counts drop to zero. snapshot() sums the reports no older than
// `inflightFreshMs` into each endpoint's `inflight` and lists them (`inflight_reports`); older
// ones (a container that was frozen or stopped mid-request) are ignored, expire by TTL and are
// deleted by `pruneInflightReports` (the health check).
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  Assessment,
  CounterMark,
  EndpointHealth,
  HealthSnapshot,
  HealthStore,
  InflightReport,
  Outcome,
  RouterCircuit,
  RouterCircuitChange,
} from '@switchyard/core';
import { foldLatencyEwma, histogramQuantile, LATENCY_BUCKET_COUNT } from '@switchyard/core';
import { isConditionFailure } from './conditional-write.ts';
import type { LatencyEwma, OutcomeSummary } from './latency-ewma.ts';
import { summariseOutcomes } from './latency-ewma.ts';
import { HEALTH_TABLE } from './tables.ts';

export interface DynamoDbHealthStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** How long an item lives after its last write (the TTL). @default 86_400 (a day) */
  ttlSeconds?: number;
  /** In-flight reports older than this are left out of snapshots. @default DEFAULT_INFLIGHT_FRESH_MS */
  inflightFreshMs?: number;
  now?: () => number;
}

/** Default age after which a router's in-flight report no longer counts. */
export const DEFAULT_INFLIGHT_FRESH_MS = 10_000;
/** TTL of an in-flight report item (a stopped container's report is pruned or expires). */
const REPORT_TTL_SECONDS = 900;
const isReportKey = (key: unknown): boolean =>
  typeof key === 'string' && key.startsWith(HEALTH_TABLE.routerReportPrefix);

/** A stored in-flight report, or undefined when the item is not one. */
function reportFromItem(item: Record<string, unknown>): InflightReport | undefined {
  const key = item[HEALTH_TABLE.partitionKey];
  if (!isReportKey(key) || typeof item.reported_at !== 'number') return undefined;
  const inflight: Record<string, number> = Object.create(null);
  const stored = item.inflight;
  if (stored && typeof stored === 'object') {
    for (const [endpoint, n] of Object.entries(stored)) if (num(n) > 0) inflight[endpoint] = num(n);
  }
  return {
    router: (key as string).slice(HEALTH_TABLE.routerReportPrefix.length),
    at: item.reported_at,
    inflight,
  };
}

const HEALTH_FIELDS = [
  'status',
  'checked_at',
  'latency_ms',
  'latency_ewma_ms',
  'latency_peak_ewma_ms',
  'latency_p95_ms',
  'ttft_ewma_ms',
  'ttft_peak_ewma_ms',
  'error_rate',
  'inflight',
  'circuit',
  'circuit_opened_at',
  'reason',
] as const satisfies ReadonlyArray<Exclude<keyof EndpointHealth, 'endpoint'>>;

/** Attribute name of latency histogram bucket `i`. */
export const histogramAttribute = (i: number): string => `lh_${String(i).padStart(2, '0')}`;
/** Attribute name of time-to-first-token histogram bucket `i`. */
export const ttftHistogramAttribute = (i: number): string => `th_${String(i).padStart(2, '0')}`;

/** One endpoint's item: its health and the counters behind it. */
export interface HealthRecord {
  health: EndpointHealth;
  /** Passive outcomes (router, jobs). */
  requests: number;
  failures: number;
  /** Passive latency histogram (core latency.ts buckets). */
  hist: number[];
  probe_requests: number;
  probe_failures: number;
  consecutive_failures: number;
  marks: CounterMark[];
  circuit_reason?: string;
  probe_detail?: string;
  window_requests?: number;
  window_failures?: number;
  last_outcome_at?: number;
  /** Router containers' own breakers that are not closed, expired ones included (see `until`). */
  router_circuits?: RouterCircuit[];
}

/** Attribute holding the router containers' breaker states (a map by container id). */
export const ROUTER_CIRCUITS_ATTRIBUTE = 'router_circuits';
/** Conditional attempts of one publish when another writer changed the map in between. */
const PUBLISH_ATTEMPTS = 5;

/** A probe's result as the health table records it. */
export interface ProbeOutcome {
  endpoint: string;
  ok: boolean;
  latency_ms: number;
  at: number;
}

/**
 * Conditional attempts of the EWMA's read-modify-write when another writer got in between; after
 * them the write goes through unconditionally (an EWMA may lose a sample, never the counters).
 */
const EWMA_CONDITIONAL_ATTEMPTS = 5;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Picks the EndpointHealth fields of a stored item, filling the required ones when missing. */
export function healthFromItem(item: Record<string, unknown>): EndpointHealth {
  const health: Record<string, unknown> = { endpoint: String(item[HEALTH_TABLE.partitionKey]) };
  for (const field of HEALTH_FIELDS) {
    if (item[field] !== undefined && item[field] !== null) health[field] = item[field];
  }
  const ttft = Array.from({ length: LATENCY_BUCKET_COUNT }, (_, i) => num(item[ttftHistogramAttribute(i)]));
  const ttftP95 = histogramQuantile(ttft, 0.95);
  if (ttftP95 !== undefined) health.ttft_p95_ms = ttftP95;
  health.status ??= 'unknown';
  health.checked_at ??= 0;
  health.circuit ??= 'closed';
  return health as unknown as EndpointHealth;
}

/** The whole record of a stored item. */
export function recordFromItem(item: Record<string, unknown>): HealthRecord {
  const marks = Array.isArray(item.window_marks) ? (item.window_marks as CounterMark[]) : [];
  const str = (k: string) => (typeof item[k] === 'string' ? { [k]: item[k] as string } : {});
  const opt = (k: string) => (typeof item[k] === 'number' ? { [k]: item[k] as number } : {});
  return {
    health: healthFromItem(item),
    requests: num(item.outcome_requests),
    failures: num(item.outcome_failures),
    hist: Array.from({ length: LATENCY_BUCKET_COUNT }, (_, i) => num(item[histogramAttribute(i)])),
    probe_requests: num(item.probe_requests),
    probe_failures: num(item.probe_failures),
    consecutive_failures: num(item.consecutive_failures),
    marks,
    ...str('circuit_reason'),
    ...str('probe_detail'),
    ...opt('window_requests'),
    ...opt('window_failures'),
    ...opt('last_outcome_at'),
    router_circuits: routerCircuitsFromItem(item),
  };
}

const CIRCUIT_STATES: ReadonlySet<unknown> = new Set(['closed', 'open', 'half-open']);

/** The router circuits stored on an item; malformed entries are skipped. */
export function routerCircuitsFromItem(item: Record<string, unknown>): RouterCircuit[] {
  const map = item[ROUTER_CIRCUITS_ATTRIBUTE];
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return [];
  const out: RouterCircuit[] = [];
  for (const [container, raw] of Object.entries(map as Record<string, unknown>)) {
    if (typeof raw !== 'object' || raw === null) continue;
    const e = raw as Record<string, unknown>;
    if (!CIRCUIT_STATES.has(e.state) || typeof e.at !== 'number' || typeof e.until !== 'number') continue;
    const entry: RouterCircuit = {
      endpoint: String(item[HEALTH_TABLE.partitionKey]),
      container,
      state: e.state as RouterCircuit['state'],
      at: e.at,
      until: e.until,
    };
    if (typeof e.opened_at === 'number') entry.opened_at = e.opened_at;
    if (typeof e.reason === 'string') entry.reason = e.reason;
    out.push(entry);
  }
  return out.sort((a, b) => a.container.localeCompare(b.container));
}

/** What one write folds into an endpoint's item: passive outcomes or one probe. */
type Tally = OutcomeSummary & { kind: 'passive' | 'probe' };

export class DynamoDbHealthStore implements HealthStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #ttlSeconds: number;
  readonly #inflightFreshMs: number;
  readonly #now: () => number;

  constructor(options: DynamoDbHealthStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#ttlSeconds = options.ttlSeconds ?? 86_400;
    this.#inflightFreshMs = options.inflightFreshMs ?? DEFAULT_INFLIGHT_FRESH_MS;
    this.#now = options.now ?? Date.now;
  }

  async snapshot(): Promise<HealthSnapshot> {
    const endpoints: Record<string, EndpointHealth> = {};
    const reports: InflightReport[] = [];
    const now = this.#now();
    for (const item of await this.#scan()) {
      const report = reportFromItem(item);
      if (report) {
        if (now - report.at <= this.#inflightFreshMs) reports.push(report);
      } else if (!isReportKey(item[HEALTH_TABLE.partitionKey])) {
        const health = healthFromItem(item);
        endpoints[health.endpoint] = health;
      }
    }
    if (reports.length === 0) return { endpoints };
    const summed = new Map<string, number>();
    for (const r of reports) {
      for (const [id, n] of Object.entries(r.inflight)) summed.set(id, (summed.get(id) ?? 0) + n);
    }
    for (const [id, n] of summed) {
      const health = Object.hasOwn(endpoints, id) ? endpoints[id] : undefined;
      if (health) health.inflight = n;
    }
    return { endpoints, inflight_reports: reports };
  }

  /** Every live endpoint item with its counters (expired items DynamoDB has not deleted yet are skipped). */
  async records(): Promise<HealthRecord[]> {
    return (await this.#scan()).filter((i) => !isReportKey(i[HEALTH_TABLE.partitionKey])).map(recordFromItem);
  }

  /**
   * Replaces this router container's in-flight report; a report with no request in flight deletes
   * it (a container that has nothing in flight leaves nothing behind).
   */
  async reportInflight(report: InflightReport): Promise<void> {
    const key = { [HEALTH_TABLE.partitionKey]: `${HEALTH_TABLE.routerReportPrefix}${report.router}` };
    const inflight = Object.fromEntries(Object.entries(report.inflight).filter(([, n]) => n > 0));
    if (Object.keys(inflight).length === 0) {
      await this.#client.send(new DeleteCommand({ TableName: this.#tableName, Key: key }));
      return;
    }
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          ...key,
          reported_at: report.at,
          inflight,
          [HEALTH_TABLE.ttlAttribute]: Math.floor(report.at / 1000) + REPORT_TTL_SECONDS,
        },
      }),
    );
  }

  /**
   * Deletes in-flight reports older than `olderThanMs` (containers frozen or stopped with requests
   * counted), each only if it was not refreshed meanwhile; returns how many went.
   */
  async pruneInflightReports(olderThanMs: number): Promise<number> {
    const cutoff = this.#now() - olderThanMs;
    const stale: Array<{ key: unknown; at: number }> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#client.send(
        new ScanCommand({
          TableName: this.#tableName,
          ExclusiveStartKey: start,
          FilterExpression: 'begins_with(#key, :prefix)',
          ProjectionExpression: '#key, reported_at',
          ExpressionAttributeNames: { '#key': HEALTH_TABLE.partitionKey },
          ExpressionAttributeValues: { ':prefix': HEALTH_TABLE.routerReportPrefix },
        }),
      );
      for (const item of out.Items ?? []) {
        const at = item.reported_at;
        if (typeof at !== 'number' || at < cutoff)
          stale.push({ key: item[HEALTH_TABLE.partitionKey], at: num(at) });
      }
      start = out.LastEvaluatedKey;
    } while (start);
    let pruned = 0;
    for (const { key, at } of stale) {
      try {
        await this.#client.send(
          new DeleteCommand({
            TableName: this.#tableName,
            Key: { [HEALTH_TABLE.partitionKey]: key },
            ConditionExpression: 'attribute_not_exists(reported_at) OR reported_at = :at',
            ExpressionAttributeValues: { ':at': at },
          }),
        );
        pruned++;
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
    }
    return pruned;
  }

  /** One endpoint's record, or undefined when it has none (or only an expired one). */
  async record(endpoint: string): Promise<HealthRecord | undefined> {
    const out = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { [HEALTH_TABLE.partitionKey]: endpoint },
        ConsistentRead: true,
      }),
    );
    return out.Item && !this.#expired(out.Item) ? recordFromItem(out.Item) : undefined;
  }

  /**
   * Writes the given fields of one endpoint's health and refreshes `expires_at`. Fields not
   * given (e.g. the EWMA the router maintains) are kept, except `reason`, which belongs to
   * `status` and is removed when absent, and `circuit_opened_at`, removed when the circuit is
   * closed. `extra` attributes are set too (`null` removes one).
   */
  async put(health: EndpointHealth, extra: Record<string, unknown> = {}): Promise<void> {
    const names: Record<string, string> = { '#expires': HEALTH_TABLE.ttlAttribute };
    const values: Record<string, unknown> = { ':expires': this.#expiresAt(health.checked_at) };
    const sets = ['#expires = :expires'];
    const removes: string[] = [];
    HEALTH_FIELDS.forEach((field, i) => {
      const value = health[field];
      if (value !== undefined) {
        names[`#f${i}`] = field;
        values[`:f${i}`] = value;
        sets.push(`#f${i} = :f${i}`);
      } else if (field === 'reason' || (field === 'circuit_opened_at' && health.circuit === 'closed')) {
        names[`#f${i}`] = field;
        removes.push(`#f${i}`);
      }
    });
    Object.entries(extra).forEach(([field, value], i) => {
      if (value === undefined) return;
      names[`#x${i}`] = field;
      if (value === null) {
        removes.push(`#x${i}`);
      } else {
        values[`:x${i}`] = value;
        sets.push(`#x${i} = :x${i}`);
      }
    });
    await this.#client.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: { [HEALTH_TABLE.partitionKey]: health.endpoint },
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** Writes a health check's assessment of one endpoint (core assess.ts) with the probe's detail. */
  async writeAssessment(assessment: Assessment, probeDetail: string): Promise<void> {
    await this.put(assessment.health, {
      window_marks: assessment.marks,
      circuit_reason: assessment.circuit_reason ?? null,
      probe_detail: probeDetail.slice(0, 2048),
      window_requests: assessment.window.requests,
      window_failures: assessment.window.failures,
    });
  }

  /**
   * Folds passive outcomes into each endpoint's item: `latency_ewma_ms` and
   * `latency_peak_ewma_ms` (see core health/latency.ts; a conditional read-modify-write, retried
   * with jitter, so concurrent routers rarely lose a sample), and the counters above (atomic ADD):
   * requests, failures, histogram, consecutive failures; plus `last_outcome_at`. An endpoint with
   * no item yet gets status `unknown`, circuit `closed`.
   */
  async recordOutcomes(outcomes: readonly Outcome[]): Promise<void> {
    await Promise.all(summariseOutcomes(outcomes).map((s) => this.#record({ ...s, kind: 'passive' })));
  }

  /** Records one probe: probe counters, consecutive failures, and (when it succeeded) its latency in the EWMAs. */
  async recordProbe(probe: ProbeOutcome): Promise<void> {
    await this.#record({
      endpoint: probe.endpoint,
      kind: 'probe',
      requests: 1,
      failures: probe.ok ? 0 : 1,
      latencySamplesMs: probe.ok ? [probe.latency_ms] : [],
      buckets: new Map(),
      ttftSamplesMs: [],
      ttftBuckets: new Map(),
      trailingFailures: probe.ok ? 0 : 1,
      anySuccess: probe.ok,
      lastAt: probe.at,
    });
  }

  /**
   * Publishes router container `container`'s breaker changes (the last one per endpoint wins):
   * a closed breaker removes the container's entry, any other state sets it. Each write also
   * prunes other containers' entries that lapsed (`until` passed). Conditional on the map being
   * there (DynamoDB cannot set a key of a missing map), retried when another writer got in between.
   */
  async publishRouterCircuits(container: string, changes: readonly RouterCircuitChange[]): Promise<void> {
    const last = new Map<string, RouterCircuitChange>();
    for (const c of changes) last.set(c.endpoint, c);
    await Promise.all([...last.values()].map((c) => this.#publish(container, c)));
  }

  async #publish(container: string, change: RouterCircuitChange): Promise<void> {
    const key = { [HEALTH_TABLE.partitionKey]: change.endpoint };
    const { endpoint: _e, ...entry } = change;
    for (let attempt = 1; attempt <= PUBLISH_ATTEMPTS; attempt++) {
      const current = await this.#client.send(
        new GetCommand({
          TableName: this.#tableName,
          Key: key,
          ConsistentRead: true,
          ProjectionExpression: '#rc',
          ExpressionAttributeNames: { '#rc': ROUTER_CIRCUITS_ATTRIBUTE },
        }),
      );
      const map = current.Item?.[ROUTER_CIRCUITS_ATTRIBUTE] as Record<string, unknown> | undefined;
      const names: Record<string, string> = {
        '#rc': ROUTER_CIRCUITS_ATTRIBUTE,
        '#expires': HEALTH_TABLE.ttlAttribute,
      };
      const values: Record<string, unknown> = { ':expires': this.#expiresAt(change.at) };
      let update: string;
      let condition: string;
      if (map === undefined) {
        if (change.state === 'closed') return; // nothing published, nothing to remove
        values[':map'] = { [container]: entry };
        update = 'SET #rc = :map, #expires = :expires';
        condition = 'attribute_not_exists(#rc)';
      } else {
        const now = this.#now();
        const lapsed = routerCircuitsFromItem({
          ...current.Item,
          [HEALTH_TABLE.partitionKey]: change.endpoint,
        })
          .filter((r) => r.container !== container && r.until <= now)
          .map((r) => r.container);
        const removes = lapsed.map((c, i) => {
          names[`#x${i}`] = c;
          return `#rc.#x${i}`;
        });
        names['#me'] = container;
        const sets = ['#expires = :expires'];
        if (change.state === 'closed') removes.push('#rc.#me');
        else {
          values[':entry'] = entry;
          sets.push('#rc.#me = :entry');
        }
        update = `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`;
        condition = 'attribute_exists(#rc)';
      }
      try {
        await this.#client.send(
          new UpdateCommand({
            TableName: this.#tableName,
            Key: key,
            UpdateExpression: update,
            ConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
        return;
      } catch (err) {
        if (!isConditionFailure(err) || attempt === PUBLISH_ATTEMPTS) throw err;
      }
    }
  }

  async #record(tally: Tally): Promise<void> {
    const key = { [HEALTH_TABLE.partitionKey]: tally.endpoint };
    const passive = tally.kind === 'passive';
    for (let attempt = 1; ; attempt++) {
      const names: Record<string, string> = {
        '#expires': HEALTH_TABLE.ttlAttribute,
        '#status': 'status',
        '#circuit': 'circuit',
        '#checked': 'checked_at',
        '#requests': passive ? 'outcome_requests' : 'probe_requests',
        '#failures': passive ? 'outcome_failures' : 'probe_failures',
        '#consecutive': 'consecutive_failures',
      };
      const values: Record<string, unknown> = {
        ':expires': this.#expiresAt(tally.lastAt),
        ':unknown': 'unknown',
        ':closed': 'closed',
        ':zero': 0,
        ':requests': tally.requests,
        ':failures': tally.failures,
        ':consecutive': tally.anySuccess ? tally.trailingFailures : tally.failures,
      };
      const sets = [
        '#expires = :expires',
        '#status = if_not_exists(#status, :unknown)',
        '#circuit = if_not_exists(#circuit, :closed)',
        '#checked = if_not_exists(#checked, :zero)',
      ];
      const adds = ['#requests :requests', '#failures :failures'];
      // A success restarts the consecutive count from the failures after it; else it grows.
      if (tally.anySuccess) sets.push('#consecutive = :consecutive');
      else adds.push('#consecutive :consecutive');
      if (passive) {
        names['#last'] = 'last_outcome_at';
        values[':last'] = tally.lastAt;
        sets.push('#last = :last');
        for (const [bucket, n] of tally.buckets) {
          names[`#h${bucket}`] = histogramAttribute(bucket);
          values[`:h${bucket}`] = n;
          adds.push(`#h${bucket} :h${bucket}`);
        }
        for (const [bucket, n] of tally.ttftBuckets) {
          names[`#t${bucket}`] = ttftHistogramAttribute(bucket);
          values[`:t${bucket}`] = n;
          adds.push(`#t${bucket} :t${bucket}`);
        }
      }
      let condition: string | undefined;
      const conditional = attempt <= EWMA_CONDITIONAL_ATTEMPTS;
      if (tally.latencySamplesMs.length > 0) {
        const current = await this.#client.send(
          new GetCommand({
            TableName: this.#tableName,
            Key: key,
            ConsistentRead: true,
            ProjectionExpression: 'latency_ewma_ms, latency_peak_ewma_ms, ttft_ewma_ms, ttft_peak_ewma_ms',
          }),
        );
        const item = (current.Item ?? {}) as LatencyEwma & {
          ttft_ewma_ms?: number;
          ttft_peak_ewma_ms?: number;
        };
        const prev: LatencyEwma = {
          ...(item.latency_ewma_ms !== undefined ? { latency_ewma_ms: item.latency_ewma_ms } : {}),
          ...(item.latency_peak_ewma_ms !== undefined
            ? { latency_peak_ewma_ms: item.latency_peak_ewma_ms }
            : {}),
        };
        if (tally.ttftSamplesMs.length > 0) {
          // The same EWMA and peak-EWMA over the times to first token (guarded by the latency EWMA's condition).
          const ttft = foldLatencyEwma(
            {
              ...(item.ttft_ewma_ms !== undefined ? { latency_ewma_ms: item.ttft_ewma_ms } : {}),
              ...(item.ttft_peak_ewma_ms !== undefined
                ? { latency_peak_ewma_ms: item.ttft_peak_ewma_ms }
                : {}),
            },
            tally.ttftSamplesMs,
          );
          names['#tewma'] = 'ttft_ewma_ms';
          names['#tpeak'] = 'ttft_peak_ewma_ms';
          values[':tewma'] = ttft.latency_ewma_ms;
          values[':tpeak'] = ttft.latency_peak_ewma_ms;
          sets.push('#tewma = :tewma', '#tpeak = :tpeak');
        }
        const next = foldLatencyEwma(prev, tally.latencySamplesMs);
        names['#ewma'] = 'latency_ewma_ms';
        names['#peak'] = 'latency_peak_ewma_ms';
        values[':ewma'] = next.latency_ewma_ms;
        values[':peak'] = next.latency_peak_ewma_ms;
        sets.push('#ewma = :ewma', '#peak = :peak');
        if (!conditional) {
          condition = undefined;
        } else if (prev.latency_ewma_ms === undefined) {
          condition = 'attribute_not_exists(#ewma)';
        } else {
          values[':prev'] = prev.latency_ewma_ms;
          condition = '#ewma = :prev';
        }
      }
      try {
        await this.#client.send(
          new UpdateCommand({
            TableName: this.#tableName,
            Key: key,
            UpdateExpression: `SET ${sets.join(', ')} ADD ${adds.join(', ')}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ...(condition ? { ConditionExpression: condition } : {}),
          }),
        );
        return;
      } catch (err) {
        if (!isConditionFailure(err) || !conditional) throw err;
        await sleep(Math.random() * 10 * attempt);
      }
    }
  }

  async #scan(): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#client.send(
        new ScanCommand({ TableName: this.#tableName, ExclusiveStartKey: start, ConsistentRead: true }),
      );
      // TTL deletion is lazy: skip expired items the service has not removed yet.
      for (const item of out.Items ?? []) if (!this.#expired(item)) items.push(item);
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  #expired(item: Record<string, unknown>): boolean {
    const expires = item[HEALTH_TABLE.ttlAttribute];
    return typeof expires === 'number' && expires <= this.#now() / 1000;
  }

  #expiresAt(atMs: number): number {
    return Math.floor(Math.max(atMs, this.#now()) / 1000) + this.#ttlSeconds;
  }
}
