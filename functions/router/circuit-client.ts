// An InferenceClient that asks the router's local breakers before each attempt and tells them how
// it went the moment it ends. A refused attempt fails at once with a retryable UpstreamError (so
// the plan moves to its next target without paying a timeout); such attempts are not outcomes of
// the endpoint and are left out of the passive outcomes (`isShortCircuited`).
import type {
  AttemptRecord,
  InferenceCall,
  InferenceClient,
  InferenceResult,
  PlanTarget,
} from '@switchyard/core';
import { UpstreamError } from '@switchyard/core';
import type { LocalCircuits } from './local-circuits.ts';

/** Message prefix of attempts the local circuit refused. */
export const SHORT_CIRCUIT_PREFIX = 'not attempted: circuit open in this router';

/** Whether an attempt was refused by the local circuit (never reached the endpoint). */
export const isShortCircuited = (a: Pick<AttemptRecord, 'error'>): boolean =>
  a.error?.startsWith(SHORT_CIRCUIT_PREFIX) ?? false;

export class CircuitAwareClient implements InferenceClient {
  constructor(
    private readonly inner: InferenceClient,
    private readonly circuits: LocalCircuits,
    private readonly now: () => number,
  ) {}

  async invoke(target: PlanTarget, call: InferenceCall, signal: AbortSignal): Promise<InferenceResult> {
    const id = target.endpoint;
    if (!this.circuits.admit(id, this.now())) {
      throw new UpstreamError('connection', `${SHORT_CIRCUIT_PREFIX} (${id})`);
    }
    try {
      const result = await this.inner.invoke(target, call, signal);
      this.circuits.record(id, { ok: true, at: this.now() });
      return result;
    } catch (err) {
      if (signal.aborted && !(signal.reason instanceof UpstreamError)) {
        // Cancelled because another attempt answered first: no verdict on the endpoint.
        this.circuits.release(id);
      } else if (err instanceof UpstreamError && err.failure === 'rejected') {
        // The endpoint answered; it was the request that was bad.
        this.circuits.record(id, { ok: true, at: this.now() });
      } else {
        const failure = signal.aborted
          ? 'timeout'
          : err instanceof UpstreamError
            ? err.failure
            : 'connection';
        this.circuits.record(id, { ok: false, at: this.now(), detail: failure });
      }
      throw err;
    }
  }
}
