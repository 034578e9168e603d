// What probers may be told beyond the Endpoint: the tasks its model serves, so a prober can
// choose a tiny invocation the model understands (chat with max_tokens 1, or a task call).
import type { Endpoint, EndpointProber, ProbeResult } from '@switchyard/core';

export interface ProbeContext {
  /** The tasks of the endpoint's model version (from the registry). */
  tasks?: readonly string[];
}

/** An EndpointProber that also accepts the optional ProbeContext as a third argument. */
export interface ContextualProber extends EndpointProber {
  probe(endpoint: Endpoint, signal: AbortSignal, context?: ProbeContext): Promise<ProbeResult>;
}
