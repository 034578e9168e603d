// An InferenceClient that counts each attempt in the container's InflightTracker while it runs:
// from the call until it settles, or until its signal aborts (a timeout, or a hedge loser
// cancelled because another attempt answered), whichever comes first, exactly once, whatever
// the inner client does (throws, rejects, or ignores the signal and never settles). A stream is
// in flight from its first read until it ends, fails, is aborted or is no longer read.
import type {
  InferenceCall,
  InferenceChunk,
  InferenceClient,
  InferenceResult,
  PlanTarget,
} from '@switchyard/core';
import { convertedStream } from '@switchyard/core';
import type { InflightTracker } from './inflight-tracker.ts';

export class InflightTrackingClient implements InferenceClient {
  constructor(
    private readonly inner: InferenceClient,
    private readonly tracker: InflightTracker,
  ) {}

  async invoke(target: PlanTarget, call: InferenceCall, signal: AbortSignal): Promise<InferenceResult> {
    const release = this.tracker.acquire(target.endpoint);
    signal.addEventListener('abort', release, { once: true });
    if (signal.aborted) release();
    try {
      return await this.inner.invoke(target, call, signal);
    } finally {
      signal.removeEventListener('abort', release);
      release();
    }
  }

  async *stream(
    target: PlanTarget,
    call: InferenceCall,
    signal: AbortSignal,
  ): AsyncGenerator<InferenceChunk> {
    const release = this.tracker.acquire(target.endpoint);
    signal.addEventListener('abort', release, { once: true });
    if (signal.aborted) release();
    try {
      yield* this.inner.stream
        ? this.inner.stream(target, call, signal)
        : convertedStream(this.inner, target, call, signal);
    } finally {
      signal.removeEventListener('abort', release);
      release();
    }
  }
}
