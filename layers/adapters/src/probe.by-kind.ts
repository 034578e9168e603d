// Dispatches each probe to the prober for the endpoint's kind, passing the ProbeContext on.
import type { Endpoint, EndpointKind, ProbeResult } from '@switchyard/core';
import type { ContextualProber, ProbeContext } from './probe.types.ts';

export class ProberByKind implements ContextualProber {
  readonly #probers: Readonly<Record<EndpointKind, ContextualProber>>;

  constructor(probers: Readonly<Record<EndpointKind, ContextualProber>>) {
    this.#probers = probers;
  }

  probe(endpoint: Endpoint, signal: AbortSignal, context?: ProbeContext): Promise<ProbeResult> {
    return this.#probers[endpoint.kind].probe(endpoint, signal, context);
  }
}
