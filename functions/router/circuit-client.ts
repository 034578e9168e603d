// An InferenceClient that asks the router's local breakers before each attempt and tells them how
// it went the moment it ends. A refused attempt fails at once with a retryable UpstreamError (so
// the plan moves to its next target without paying a timeout); such attempts are not outcomes of
// the endpoint and are left out of the passive outcomes (`isShortCircuited`). What counts is the
// core's one rule (attempt-outcome.ts): an upstream failure counts against the endpoint, a success
// for it; a rejected request, a request that was never sent (the caller's input, or our defect)
// and a cancelled attempt count neither way and only free a half-open trial slot.
import type {
  AttemptRecord,
  InferenceCall,
  InferenceChunk,
  InferenceClient,
  InferenceResult,
  PlanTarget,
} from '@switchyard/core';
import { convertedStream, endpointVerdict, outcomeOfError, UpstreamError } from '@switchyard/core';
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
      this.#failed(id, err, signal);
      throw err;
    }
  }

  /**
   * A stream is one attempt from admission to its end: a success once it finished, a failure when
   * it failed before or after its first chunk (a cut stream counts against the endpoint), and
   * neither when the caller stopped reading (a client that went away) or cancelled it.
   */
  async *stream(
    target: PlanTarget,
    call: InferenceCall,
    signal: AbortSignal,
  ): AsyncGenerator<InferenceChunk> {
    const id = target.endpoint;
    if (!this.circuits.admit(id, this.now())) {
      throw new UpstreamError('connection', `${SHORT_CIRCUIT_PREFIX} (${id})`);
    }
    const inner = this.inner.stream
      ? this.inner.stream(target, call, signal)
      : convertedStream(this.inner, target, call, signal);
    let ended = false;
    try {
      for await (const chunk of inner) yield chunk;
      ended = true;
      this.circuits.record(id, { ok: true, at: this.now() });
    } catch (err) {
      ended = true;
      this.#failed(id, err, signal);
      throw err;
    } finally {
      if (!ended) this.circuits.release(id, this.now());
    }
  }

  #failed(id: string, err: unknown, signal: AbortSignal): void {
    const cancelled = signal.aborted && !(signal.reason instanceof UpstreamError);
    // The attempt's own timeout aborts with an UpstreamError reason, whatever the client threw.
    const outcome = signal.aborted && !cancelled ? 'timeout' : outcomeOfError(err);
    if (!cancelled && endpointVerdict(outcome) === 'failed') {
      this.circuits.record(id, { ok: false, at: this.now(), detail: outcome });
    } else {
      this.circuits.release(id, this.now());
    }
  }
}
