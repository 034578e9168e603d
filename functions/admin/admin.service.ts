// What the admin function does, over ports: the health of every endpoint and why; registry
// listings and writes (`PUT` of one model version, endpoint or policy, validated by the same
// schemas as the registry file, then the whole registry re-validated with the change so a write
// can never leave the router a registry it cannot load); and rollouts (start, list, show, roll back).
import type { HealthRecord, RegistryItem, RolloutLifecycle } from '@switchyard/adapters';
import { parseInput } from '@switchyard/adapters/lambda';
import type {
  CircuitState,
  Endpoint,
  Model,
  Policy,
  Registry,
  RegistryKind,
  Rollout,
} from '@switchyard/core';
import {
  AnyRolloutRequestSchema,
  ConflictError,
  EndpointSchema,
  effectiveStatus,
  InvalidRequestError,
  isFresh,
  ModelSchema,
  modelKey,
  PolicySchema,
  RegistrySchema,
  RollbackRequestSchema,
} from '@switchyard/core';

/** What the admin function needs of the registry table (DynamoDbModelRegistry). */
export interface AdminRegistry {
  load(): Promise<Registry>;
  items(kind: RegistryKind): Promise<RegistryItem[]>;
  putModel(input: unknown, options?: { expectedRev?: number }): Promise<{ doc: Model; rev: number }>;
  putEndpoint(input: unknown, options?: { expectedRev?: number }): Promise<{ doc: Endpoint; rev: number }>;
  putPolicy(input: unknown, options?: { expectedRev?: number }): Promise<{ doc: Policy; rev: number }>;
}

export interface AdminDeps {
  registry: AdminRegistry;
  health: { records(): Promise<HealthRecord[]> };
  rollouts: RolloutLifecycle;
  now: () => number;
  healthFreshMs: number;
}

export interface AdminResponse {
  status: number;
  body: unknown;
}

/** One endpoint in `GET /admin/health`. */
export interface EndpointHealthView {
  endpoint: string;
  model: string;
  version: string;
  kind: string;
  region: string;
  /** The endpoint's administrative state (active, draining, disabled). */
  state: string;
  /** The status routing sees now: the recorded one when fresh, else `unknown`. */
  status: string;
  /** The status as last recorded, fresh or not. */
  reported_status: string;
  fresh: boolean;
  checked_at: number | null;
  age_ms: number | null;
  /**
   * The most restrictive circuit in force: the shared one (health table, when fresh) or a router
   * container's own breaker (until its entry lapses). `open` refuses traffic.
   */
  circuit: CircuitState;
  /** Where `circuit` comes from (`shared` wins a tie); null when closed. */
  circuit_source: 'shared' | 'router' | null;
  circuit_opened_at: number | null;
  circuit_reason: string | null;
  /** The shared circuit as the health table records it (fresh or not). */
  shared_circuit: CircuitState;
  /** Router containers whose own breaker for this endpoint is not closed, entries in force only. */
  router_circuits: {
    open: number;
    half_open: number;
    containers: Array<{
      container: string;
      state: CircuitState;
      opened_at: number | null;
      reason: string | null;
      until: number;
    }>;
  };
  latency_ms: number | null;
  latency_ewma_ms: number | null;
  latency_peak_ewma_ms: number | null;
  latency_p95_ms: number | null;
  error_rate: number | null;
  window: { requests: number; failures: number } | null;
  consecutive_failures: number;
  reason: string | null;
  probe_detail: string | null;
  /** Whether routing would consider the endpoint now, and why (not). */
  routable: boolean;
  why: string;
}

const SECTIONS = { model: 'models', endpoint: 'endpoints', policy: 'policies' } as const;
const KEY_FIELD = { model: 'id', endpoint: 'id', policy: 'name' } as const;

export class AdminService {
  constructor(private readonly deps: AdminDeps) {}

  /** `GET /admin/health`. */
  async health(): Promise<unknown> {
    const [registry, records] = await Promise.all([this.deps.registry.load(), this.deps.health.records()]);
    const now = this.deps.now();
    const byId = new Map(records.map((r) => [r.health.endpoint, r]));
    const endpoints = registry.endpoints.map((e) => this.view(e, byId.get(e.id), now));
    const count = (f: (v: EndpointHealthView) => boolean) => endpoints.filter(f).length;
    return {
      object: 'health',
      now,
      fresh_ms: this.deps.healthFreshMs,
      summary: {
        endpoints: endpoints.length,
        routable: count((v) => v.routable),
        up: count((v) => v.status === 'up'),
        degraded: count((v) => v.status === 'degraded'),
        down: count((v) => v.status === 'down'),
        unknown: count((v) => v.status === 'unknown'),
        circuits_open: count((v) => v.circuit === 'open'),
      },
      endpoints,
    };
  }

  private view(e: Endpoint, record: HealthRecord | undefined, now: number): EndpointHealthView {
    const h = record?.health;
    const fresh = h !== undefined && h.checked_at > 0 && isFresh(h, now, this.deps.healthFreshMs);
    const status = effectiveStatus(fresh ? h : undefined, now, this.deps.healthFreshMs);
    const checked = h && h.checked_at > 0 ? h.checked_at : null;
    const circuit = circuitInForce(record, fresh, now);
    const circuitOpen = circuit.state === 'open';
    let why: string;
    if (e.state !== 'active') why = `endpoint is ${e.state}: no new traffic`;
    else if (circuitOpen) why = `circuit open${circuit.where}: ${circuit.reason ?? 'failures'}`;
    else if (status === 'down') why = `down: ${h?.reason ?? 'probe failed'}`;
    else if (!h || checked === null) why = 'never measured: counts as unknown (routable, small penalty)';
    else if (!fresh) {
      why = `stale: measured ${Math.round((now - h.checked_at) / 1000)} s ago, over the ${Math.round(this.deps.healthFreshMs / 1000)} s freshness window: counts as unknown`;
    } else if (status === 'degraded') why = `degraded: ${h.reason ?? ''}`;
    else why = `${status}: ${h.reason ?? 'ok'}`;
    return {
      endpoint: e.id,
      model: e.model,
      version: e.version,
      kind: e.kind,
      region: e.region,
      state: e.state,
      status,
      reported_status: h?.status ?? 'unknown',
      fresh,
      checked_at: checked,
      age_ms: checked === null ? null : now - checked,
      circuit: circuit.state,
      circuit_source: circuit.source,
      circuit_opened_at: circuit.opened_at,
      circuit_reason: circuit.reason,
      shared_circuit: h?.circuit ?? 'closed',
      router_circuits: circuit.routers,
      latency_ms: h?.latency_ms ?? null,
      latency_ewma_ms: h?.latency_ewma_ms ?? null,
      latency_peak_ewma_ms: h?.latency_peak_ewma_ms ?? null,
      latency_p95_ms: h?.latency_p95_ms ?? null,
      error_rate: h?.error_rate ?? null,
      window:
        record?.window_requests !== undefined
          ? { requests: record.window_requests, failures: record.window_failures ?? 0 }
          : null,
      consecutive_failures: record?.consecutive_failures ?? 0,
      reason: h?.reason ?? null,
      probe_detail: record?.probe_detail ?? null,
      routable: e.state === 'active' && status !== 'down' && !circuitOpen,
      why,
    };
  }

  /** `GET /admin/models|endpoints|policies`: every stored document with its rev. */
  async list(kind: RegistryKind): Promise<unknown> {
    const items = await this.deps.registry.items(kind);
    return {
      object: 'list',
      data: items.map((i) => ({ key: i.sk, rev: i.rev, updated_at: i.updated_at, [kind]: i.doc })),
    };
  }

  /**
   * `PUT /admin/{models|endpoints|policies}/{key}`: the body is the whole document (for a model,
   * with its `version`; the path names the model id, the body's `id@version` the item). `ifMatch`
   * is an optional `rev` (0: create only): 409 when the stored item moved on.
   */
  async put(
    kind: RegistryKind,
    key: string,
    body: unknown,
    ifMatch: string | undefined,
  ): Promise<AdminResponse> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new InvalidRequestError(`The request body must be a JSON ${kind} object.`);
    }
    const field = KEY_FIELD[kind];
    const given = (body as Record<string, unknown>)[field];
    if (given !== undefined && given !== key) {
      throw new InvalidRequestError(`${field}: "${String(given)}" does not match the path ("${key}")`, {
        param: field,
      });
    }
    const withKey = { ...(body as Record<string, unknown>), [field]: key };
    const doc =
      kind === 'model'
        ? parseInput(ModelSchema, withKey, 'model')
        : kind === 'endpoint'
          ? parseInput(EndpointSchema, withKey, 'endpoint')
          : parseInput(PolicySchema, withKey, 'policy');
    const expectedRev = parseIfMatch(ifMatch);
    const registry = await this.deps.registry.load();
    const itemKey = kind === 'model' ? modelKey((doc as Model).id, (doc as Model).version) : key;
    const existed = this.checkWholeRegistry(kind, doc, itemKey, registry);
    const options = expectedRev === undefined ? {} : { expectedRev };
    const write =
      kind === 'model'
        ? this.deps.registry.putModel(doc, options)
        : kind === 'endpoint'
          ? this.deps.registry.putEndpoint(doc, options)
          : this.deps.registry.putPolicy(doc, options);
    const written = await write.catch((err: unknown) => {
      if (!(err instanceof ConflictError) || expectedRev === undefined) throw err;
      throw new ConflictError(
        expectedRev === 0
          ? `If-Match: 0 creates only, and ${kind} "${itemKey}" exists.`
          : `If-Match: ${kind} "${itemKey}" is no longer at rev ${expectedRev} (changed since it was read, or never at that rev); read it again.`,
        { param: 'if-match', cause: err },
      );
    });
    return {
      status: existed ? 200 : 201,
      body: { object: kind, key: itemKey, rev: written.rev, [kind]: written.doc },
    };
  }

  /** Validates the registry as it would be after the write; a 400 naming the field. Returns whether the item existed. */
  private checkWholeRegistry(
    kind: RegistryKind,
    doc: Model | Endpoint | Policy,
    itemKey: string,
    registry: Registry,
  ): boolean {
    const section = SECTIONS[kind];
    const list = registry[section] as Array<Model | Endpoint | Policy>;
    const keyOf = (d: Model | Endpoint | Policy): string =>
      kind === 'model'
        ? modelKey((d as Model).id, (d as Model).version)
        : kind === 'endpoint'
          ? (d as Endpoint).id
          : (d as Policy).name;
    let index = list.findIndex((d) => keyOf(d) === itemKey);
    const existed = index >= 0;
    const next = [...list];
    if (existed) next[index] = doc;
    else index = next.push(doc) - 1;
    const parsed = RegistrySchema.safeParse({ ...registry, [section]: next });
    if (parsed.success) return existed;
    const issues = parsed.error.issues.map((issue) => {
      const [s, i, ...rest] = issue.path;
      const mine = s === section && i === index;
      const path = (mine ? rest : issue.path).map(String).join('.');
      return { path, mine, text: `${mine ? '' : 'registry.'}${path}: ${issue.message}` };
    });
    const first = issues.find((i) => i.mine) ?? issues[0];
    throw new InvalidRequestError(
      `Invalid ${kind}: the registry would not be valid with it: ${issues.map((i) => i.text).join('; ')}`,
      { param: first?.mine ? first.path : null },
    );
  }

  /** `POST /admin/rollouts`. */
  async startRollout(body: unknown): Promise<AdminResponse> {
    const request = parseInput(AnyRolloutRequestSchema, body, 'rollout');
    return { status: 202, body: rolloutView(await this.deps.rollouts.start(request)) };
  }

  async rollouts(): Promise<unknown> {
    return { object: 'list', data: (await this.deps.rollouts.list()).map(rolloutView) };
  }

  async rollout(id: string): Promise<unknown> {
    return rolloutView(await this.deps.rollouts.get(id));
  }

  /** `POST /admin/rollouts/{id}/rollback`. */
  async rollback(id: string, body: unknown): Promise<unknown> {
    const given = body === undefined ? undefined : parseInput(RollbackRequestSchema, body, 'rollback').reason;
    const reason = given === undefined ? undefined : `rolled back by an operator: ${given}`;
    return rolloutView(await this.deps.rollouts.rollbackNow(id, reason));
  }
}

/** The rollout as the API shows it: the record with the step baselines' raw counters left out. */
export function rolloutView(r: Rollout): unknown {
  return {
    object: 'rollout',
    ...r,
    history: (r.history as ReadonlyArray<Rollout['history'][number]>).map((h) => {
      if (!('baseline' in h)) return h;
      const { baseline: _b, ...step } = h;
      return step;
    }),
  };
}

const RANK: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

/**
 * The most restrictive circuit in force for an endpoint: the shared circuit when its record is
 * fresh (routing ignores stale ones), and every router container's published breaker whose entry
 * has not lapsed. The shared circuit wins a tie; the router figures say how many containers hold it.
 */
function circuitInForce(record: HealthRecord | undefined, fresh: boolean, now: number) {
  const live = (record?.router_circuits ?? []).filter((r) => r.until > now && r.state !== 'closed');
  const routers = {
    open: live.filter((r) => r.state === 'open').length,
    half_open: live.filter((r) => r.state === 'half-open').length,
    containers: live.map((r) => ({
      container: r.container,
      state: r.state,
      opened_at: r.opened_at ?? null,
      reason: r.reason ?? null,
      until: r.until,
    })),
  };
  const h = record?.health;
  const shared: CircuitState = fresh && h ? h.circuit : 'closed';
  const strongest = live.reduce<(typeof live)[number] | undefined>(
    (best, r) => (!best || RANK[r.state] > RANK[best.state] ? r : best),
    undefined,
  );
  if (strongest && RANK[strongest.state] > RANK[shared]) {
    const n = strongest.state === 'open' ? routers.open : routers.half_open;
    return {
      state: strongest.state,
      source: 'router' as const,
      opened_at: strongest.opened_at ?? null,
      reason: strongest.reason ?? null,
      where: ` in ${n} router container${n === 1 ? '' : 's'}`,
      routers,
    };
  }
  return {
    state: shared,
    source: shared === 'closed' ? null : ('shared' as const),
    opened_at: h?.circuit_opened_at ?? null,
    reason: record?.circuit_reason ?? null,
    where: '',
    routers,
  };
}

function parseIfMatch(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const clean = value.replace(/^W\//, '').replace(/"/g, '').trim();
  if (!/^\d+$/.test(clean)) {
    throw new InvalidRequestError("If-Match must be the item's rev (a number; 0 creates only).", {
      param: 'if-match',
    });
  }
  return Number(clean);
}
