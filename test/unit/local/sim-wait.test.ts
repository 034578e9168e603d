// The simulated endpoints' latency wait (infra/local/sim-endpoints.server.ts, waitUnlessGone): a
// zero latency answers without a timer, a positive one after exactly its time, a client that left
// ends the wait. Fake timers: when the wait resolves is the behaviour.
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { waitUnlessGone } from '../../../infra/local/sim-endpoints.server.ts';

/** A response that can be closed (only `destroyed` and the `close` event are read). */
function response(destroyed = false) {
  const res = Object.assign(new EventEmitter(), { destroyed });
  return res as unknown as ServerResponse & EventEmitter;
}

/** Whether `p` has settled, and with what, after the pending microtasks. */
async function state(p: Promise<boolean>): Promise<boolean | 'pending'> {
  return Promise.race([
    p,
    new Promise<'pending'>((r) => queueMicrotask(() => queueMicrotask(() => r('pending')))),
  ]);
}

describe('waitUnlessGone', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('answers a zero latency at once, with no timer', async () => {
    const wait = waitUnlessGone(0, response());
    expect(vi.getTimerCount()).toBe(0);
    expect(await state(wait)).toBe(true);
  });

  it('waits a 1 ms latency for its timer: pending at 0 ms, true at 1 ms', async () => {
    const wait = waitUnlessGone(1, response());
    expect(vi.getTimerCount()).toBe(1);
    expect(await state(wait)).toBe('pending');
    vi.advanceTimersByTime(1);
    expect(await state(wait)).toBe(true);
  });

  it('ends the wait false when the client leaves, and clears its timer', async () => {
    const res = response();
    const wait = waitUnlessGone(50, res);
    res.emit('close');
    expect(await state(wait)).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('answers false for a client already gone, also at zero latency', async () => {
    expect(await state(waitUnlessGone(0, response(true)))).toBe(false);
    expect(await state(waitUnlessGone(10, response(true)))).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
