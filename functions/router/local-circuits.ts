// The router's own circuit breakers, one per endpoint, in memory (per Lambda container): fed by
// every attempt the moment it ends, so a dead endpoint stops getting traffic after
// `failure_threshold` failures instead of waiting for the health table. No I/O: the request path
// stays free of health-table writes (passive outcomes still go there in the background, and the
// health check combines them with its probes into the shared circuit every round).
//
// `view(base)` is the snapshot the router decides on: the shared health with this container's open
// (or busy half-open) circuits laid over it, the most restrictive of the two winning. It returns
// `base` itself while every local breaker is closed, and reuses one overlay object until a breaker
// changes or `base` does, so route()'s per-snapshot index stays cached.
//
// Every state change (closed, open, half-open) goes to `onChange`, synchronously and without
// I/O; the router publishes them to the health store in the background (OutcomeBuffer), so
// `/admin/health` can show a circuit that only this container holds open.
import type {
  Breaker,
  BreakerOutcome,
  CircuitSettings,
  CircuitState,
  CompiledRegistry,
  EndpointHealth,
  HealthSnapshot,
  RouterCircuitChange,
} from '@switchyard/core';
import {
  admit,
  breakerAt,
  circuitSettingsByEndpoint,
  closedBreaker,
  DEFAULT_CIRCUIT_SETTINGS,
  isFresh,
  recordOutcome,
  releaseTrial,
} from '@switchyard/core';

const RANK: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };
/** An overlay is rebuilt at least this often (records in it age towards staleness). */
const OVERLAY_MAX_AGE_MS = 1000;

const settingsCache = new WeakMap<CompiledRegistry, Map<string, CircuitSettings>>();

export interface LocalCircuitsOptions {
  /** Called on every breaker state change; must not throw or wait. */
  onChange?: (change: RouterCircuitChange) => void;
}

export class LocalCircuits {
  readonly #onChange: ((change: RouterCircuitChange) => void) | undefined;
  readonly #breakers = new Map<string, Breaker>();
  /** Endpoints whose breaker is not closed. */
  readonly #tripped = new Set<string>();
  #settings: Map<string, CircuitSettings> = new Map();
  #registry: CompiledRegistry | undefined;
  #version = 0;
  #overlay: { base: HealthSnapshot; version: number; builtAt: number; snapshot: HealthSnapshot } | undefined;

  constructor(options: LocalCircuitsOptions = {}) {
    this.#onChange = options.onChange;
  }

  /** Takes the circuit settings of each endpoint from `registry` (cheap when it is the same object). */
  useRegistry(registry: CompiledRegistry): void {
    if (registry === this.#registry) return;
    this.#registry = registry;
    let settings = settingsCache.get(registry);
    if (!settings) {
      settings = circuitSettingsByEndpoint(registry.registry);
      settingsCache.set(registry, settings);
    }
    this.#settings = settings;
  }

  settingsOf(endpoint: string): CircuitSettings {
    return this.#settings.get(endpoint) ?? DEFAULT_CIRCUIT_SETTINGS;
  }

  /** The breaker of `endpoint` as it stands at `now`. */
  breaker(endpoint: string, now: number): Breaker {
    const b = this.#breakers.get(endpoint);
    return b ? breakerAt(b, now, this.settingsOf(endpoint)) : closedBreaker();
  }

  /** Whether an attempt may go to `endpoint` now (a half-open circuit lets one trial through). */
  admit(endpoint: string, now: number): boolean {
    const b = this.#breakers.get(endpoint);
    if (!b || (b.state === 'closed' && !this.#tripped.has(endpoint))) return true;
    const decision = admit(b, now, this.settingsOf(endpoint));
    this.#set(endpoint, b, decision.breaker, now);
    return decision.admitted;
  }

  /** Feeds one attempt's outcome. */
  record(endpoint: string, outcome: BreakerOutcome): void {
    const b = this.#breakers.get(endpoint) ?? closedBreaker();
    this.#set(endpoint, b, recordOutcome(b, outcome, this.settingsOf(endpoint)), outcome.at);
  }

  /** An admitted attempt ended without a verdict (cancelled): free a half-open trial slot. */
  release(endpoint: string, now: number): void {
    const b = this.#breakers.get(endpoint);
    if (b) this.#set(endpoint, b, releaseTrial(b), now);
  }

  /** `base` with this container's open and busy half-open circuits laid over it. */
  view(base: HealthSnapshot, now: number, freshMs: number): HealthSnapshot {
    if (this.#tripped.size === 0) return base;
    for (const id of this.#tripped) {
      const b = this.#breakers.get(id) as Breaker;
      this.#set(id, b, breakerAt(b, now, this.settingsOf(id)), now);
    }
    if (this.#tripped.size === 0) return base;
    const cached = this.#overlay;
    if (
      cached &&
      cached.base === base &&
      cached.version === this.#version &&
      now - cached.builtAt < OVERLAY_MAX_AGE_MS
    ) {
      return cached.snapshot;
    }
    const endpoints: Record<string, EndpointHealth> = { ...base.endpoints };
    for (const id of this.#tripped) {
      const b = this.#breakers.get(id) as Breaker;
      const settings = this.settingsOf(id);
      // A half-open circuit whose one trial is under way takes no more traffic.
      const trialBusy =
        b.state === 'half-open' && b.trial_at !== undefined && now - b.trial_at < settings.cooldown_ms;
      const local: CircuitState = trialBusy ? 'open' : b.state;
      const shared = Object.hasOwn(base.endpoints, id) ? base.endpoints[id] : undefined;
      const fresh = shared !== undefined && isFresh(shared, now, freshMs);
      const record: EndpointHealth = fresh
        ? { ...shared }
        : { endpoint: id, status: 'unknown', checked_at: now, circuit: 'closed' };
      if (RANK[local] > RANK[record.circuit]) {
        record.circuit = local;
        if (b.opened_at !== undefined) record.circuit_opened_at = b.opened_at;
        record.reason = `${local === 'open' ? 'open' : 'half-open'} in this router: ${b.reason ?? 'failures'}`;
      }
      endpoints[id] = record;
    }
    const snapshot: HealthSnapshot = { endpoints };
    this.#overlay = { base, version: this.#version, builtAt: now, snapshot };
    return snapshot;
  }

  #set(endpoint: string, before: Breaker, after: Breaker, at: number): void {
    if (after === before) return;
    this.#breakers.set(endpoint, after);
    if (after.state !== before.state || after.trial_at !== before.trial_at) this.#version++;
    if (after.state === 'closed') this.#tripped.delete(endpoint);
    else this.#tripped.add(endpoint);
    if (after.state !== before.state && this.#onChange) this.#onChange(this.#change(endpoint, after, at));
  }

  #change(endpoint: string, b: Breaker, at: number): RouterCircuitChange {
    const cooldown = this.settingsOf(endpoint).cooldown_ms;
    const change: RouterCircuitChange = {
      endpoint,
      state: b.state,
      at,
      until:
        b.state === 'open' ? (b.opened_at ?? at) + cooldown : b.state === 'half-open' ? at + cooldown : at,
    };
    if (b.state !== 'closed' && b.opened_at !== undefined) change.opened_at = b.opened_at;
    if (b.state !== 'closed' && b.reason !== undefined) change.reason = b.reason;
    return change;
  }
}
