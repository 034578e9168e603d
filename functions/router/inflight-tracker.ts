// This router container's requests in flight, per endpoint: exact, in memory, updated the moment
// an attempt starts and ends (inflight-client.ts), so many concurrent invocations in one process
// (Lambda Managed Instances) see each other's load at once. It feeds three things:
// - `load()`: the counts by registry slot for route() (LocalLoad), added to the shared figures.
//   The array handed out is never written again (the next change copies it), so a decision and
//   its lazily built explanation read the same counts.
// - `view(base)`: the shared health with this container's own reported share taken out of each
//   endpoint's `inflight` (the exact count replaces it instead of being counted twice); returns
//   `base` itself when the snapshot holds no report of this container, and one object per base.
// - `counts()` / `version`: what the InflightReporter shares through the health store.
import type { CompiledRegistry, EndpointHealth, HealthSnapshot, LocalLoad } from '@switchyard/core';

export class InflightTracker {
  readonly #counts = new Map<string, number>();
  #version = 0;
  #registry: CompiledRegistry | undefined;
  #slotOf: ReadonlyMap<string, number> = new Map();
  #bySlot = new Float64Array(0);
  /** Whether `#bySlot` was handed out by load(): copy it before the next write. */
  #lent = false;
  #view: { base: HealthSnapshot; snapshot: HealthSnapshot } | undefined;

  /**
   * @param router this container's id (as its in-flight reports name it)
   * @param onChange called after every change (the reporter schedules a report)
   */
  constructor(
    readonly router: string,
    private readonly onChange?: () => void,
  ) {}

  /** Changes whenever a count does. */
  get version(): number {
    return this.#version;
  }

  /** Counts one request on `endpoint` until the returned release is called; releasing twice does nothing. */
  acquire(endpoint: string): () => void {
    this.#add(endpoint, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#add(endpoint, -1);
    };
  }

  count(endpoint: string): number {
    return this.#counts.get(endpoint) ?? 0;
  }

  /** Every endpoint with requests in flight and its count. */
  counts(): Record<string, number> {
    const out: Record<string, number> = Object.create(null);
    for (const [id, n] of this.#counts) out[id] = n;
    return out;
  }

  /** Indexes the counts by the slots of `registry` (cheap when it is the same object). */
  useRegistry(registry: CompiledRegistry): void {
    if (registry === this.#registry) return;
    this.#registry = registry;
    const endpoints = registry.registry.endpoints;
    this.#slotOf = new Map(endpoints.map((e, slot) => [e.id, slot]));
    this.#bySlot = Float64Array.from(endpoints, (e) => this.count(e.id));
    this.#lent = false;
  }

  /** This container's counts for route(), by slot of the registry last given to useRegistry. */
  load(): LocalLoad | undefined {
    if (!this.#registry) return undefined;
    this.#lent = true;
    return { registry: this.#registry, inflight: this.#bySlot };
  }

  /** `base` with this container's own reported share taken out of each endpoint's `inflight`. */
  view(base: HealthSnapshot): HealthSnapshot {
    const cached = this.#view;
    if (cached?.base === base) return cached.snapshot;
    const own = base.inflight_reports?.find((r) => r.router === this.router);
    let snapshot = base;
    if (own && Object.keys(own.inflight).length > 0) {
      const endpoints: Record<string, EndpointHealth> = { ...base.endpoints };
      for (const [id, n] of Object.entries(own.inflight)) {
        const h = Object.hasOwn(endpoints, id) ? endpoints[id] : undefined;
        if (h) endpoints[id] = { ...h, inflight: Math.max(0, (h.inflight ?? 0) - n) };
      }
      snapshot = { endpoints };
    }
    this.#view = { base, snapshot };
    return snapshot;
  }

  #add(endpoint: string, delta: number): void {
    const n = Math.max(0, this.count(endpoint) + delta);
    if (n === 0) this.#counts.delete(endpoint);
    else this.#counts.set(endpoint, n);
    const slot = this.#slotOf.get(endpoint);
    if (slot !== undefined) {
      if (this.#lent) {
        this.#bySlot = this.#bySlot.slice();
        this.#lent = false;
      }
      this.#bySlot[slot] = n;
    }
    this.#version++;
    this.onChange?.();
  }
}
