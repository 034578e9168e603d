// Local stand-ins for Lambda's event sources, as the template declares them: SQS event source
// mappings (long-poll, batch, partial batch failures, delete only what succeeded) and
// EventBridge schedules (timers that send the Scheduled Event the function gets in AWS).
import { randomUUID } from 'node:crypto';
import type { Message } from '@aws-sdk/client-sqs';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { LocalLambdaRuntime } from './lambda-runtime.ts';

export interface SqsMappingSpec {
  functionLogicalId: string;
  queueUrl: string;
  queueArn: string;
  batchSize: number;
  batchingWindowSeconds: number;
  reportBatchItemFailures: boolean;
  /** Concurrent pollers. */
  concurrency: number;
}

export interface PollerOptions {
  region: string;
  /** Long-poll wait per receive (a stop aborts it). @default 5 */
  waitSeconds?: number;
  onError?: (err: unknown) => void;
  /** Called after each batch with what was deleted (acknowledged) and what was left to retry. */
  onBatch?: (info: { functionLogicalId: string; acked: number; failed: number }) => void;
}

/** The SQS event a mapping invokes its function with. */
export interface SqsEventLike {
  Records: Array<{ messageId: string; body: string; attributes: Record<string, string> }>;
}

/**
 * Test hook to simulate failures of an invocation, with Lambda's semantics (an invocation that
 * throws acknowledges nothing; its messages come back after the visibility timeout).
 * `aroundInvoke(functionLogicalId, event, invoke)` replaces the call: throw before `invoke` for an
 * invocation that failed at once; call `invoke` with some of the records and then throw for a
 * worker that crashed mid-batch; call it and throw for a crash before acknowledging; or return a
 * result of your own (e.g. more `batchItemFailures`).
 */
export interface PollerHooks {
  aroundInvoke?: (
    functionLogicalId: string,
    event: SqsEventLike,
    invoke: (event: SqsEventLike) => Promise<unknown>,
  ) => Promise<unknown>;
}

/** Polls the SQS queues of every mapping and invokes the function, as Lambda's pollers do. */
export class SqsEventSourcePoller {
  private readonly controller = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private paused = false;
  private hooks: PollerHooks = {};
  private delivering = 0;
  private idle: Array<() => void> = [];

  constructor(
    private readonly sqs: SQSClient,
    private readonly runtime: LocalLambdaRuntime,
    private readonly mappings: readonly SqsMappingSpec[],
    private readonly options: PollerOptions,
  ) {}

  start(): void {
    for (const m of this.mappings) {
      for (let i = 0; i < m.concurrency; i++) this.loops.push(this.loop(m));
    }
  }

  /** Stops receiving (messages in flight finish first). */
  async stop(): Promise<void> {
    this.controller.abort();
    await Promise.allSettled(this.loops);
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
  }

  /**
   * Pauses delivery and resolves once no invocation is in progress: from then on, until
   * `resume()`, no function is invoked. A receive already waiting returns its messages to the
   * queue (visibility 0) instead of delivering them.
   */
  async pause(): Promise<void> {
    this.paused = true;
    if (this.delivering === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  resume(): void {
    this.paused = false;
  }

  /** Replaces the test hooks (`{}` removes them). */
  setHooks(hooks: PollerHooks): void {
    this.hooks = hooks;
  }

  private async loop(m: SqsMappingSpec): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted) {
      let messages: Message[] = [];
      try {
        if (this.paused) {
          await delay(50, signal);
          continue;
        }
        const out = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: m.queueUrl,
            MaxNumberOfMessages: Math.min(10, m.batchSize),
            WaitTimeSeconds: this.options.waitSeconds ?? 5,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: signal },
        );
        messages = out.Messages ?? [];
      } catch (err) {
        if (signal.aborted) return;
        this.options.onError?.(err);
        await delay(200, signal);
        continue;
      }
      if (messages.length === 0) continue;
      if (this.paused) {
        await this.release(m, messages);
        continue;
      }
      this.delivering++;
      try {
        await this.deliver(m, messages);
      } catch (err) {
        this.options.onError?.(err);
      } finally {
        this.delivering--;
        if (this.delivering === 0) for (const resolve of this.idle.splice(0)) resolve();
      }
    }
  }

  /** Makes received messages visible again at once (a paused poller delivers nothing). */
  private async release(m: SqsMappingSpec, messages: Message[]): Promise<void> {
    await this.sqs
      .send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: m.queueUrl,
          Entries: messages.map((msg, i) => ({
            Id: String(i),
            ReceiptHandle: msg.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      )
      .catch((err: unknown) => this.options.onError?.(err));
  }

  private async deliver(m: SqsMappingSpec, messages: Message[]): Promise<void> {
    const event = {
      Records: messages.map((msg) => ({
        messageId: msg.MessageId,
        receiptHandle: msg.ReceiptHandle,
        body: msg.Body ?? '',
        attributes: msg.Attributes ?? {},
        messageAttributes: Object.fromEntries(
          Object.entries(msg.MessageAttributes ?? {}).map(([k, v]) => [
            k,
            { stringValue: v.StringValue, dataType: v.DataType, stringListValues: [], binaryListValues: [] },
          ]),
        ),
        md5OfBody: msg.MD5OfBody,
        eventSource: 'aws:sqs',
        eventSourceARN: m.queueArn,
        awsRegion: this.options.region,
      })),
    };
    let failedIds = new Set<string>();
    try {
      const invoke = (e: unknown) => this.runtime.invoke(m.functionLogicalId, e);
      const around = this.hooks.aroundInvoke;
      const result = (await (around
        ? around(m.functionLogicalId, event as SqsEventLike, invoke)
        : invoke(event))) as {
        batchItemFailures?: Array<{ itemIdentifier?: string }>;
      } | null;
      if (m.reportBatchItemFailures && result && Array.isArray(result.batchItemFailures)) {
        failedIds = new Set(result.batchItemFailures.map((f) => String(f.itemIdentifier)));
      }
    } catch (err) {
      // A failed invocation acknowledges nothing: every message becomes visible again.
      this.options.onError?.(err);
      this.options.onBatch?.({ functionLogicalId: m.functionLogicalId, acked: 0, failed: messages.length });
      return;
    }
    const done = messages.filter((msg) => !failedIds.has(String(msg.MessageId)));
    if (done.length > 0) {
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: m.queueUrl,
          Entries: done.map((msg, i) => ({ Id: String(i), ReceiptHandle: msg.ReceiptHandle })),
        }),
      );
    }
    this.options.onBatch?.({
      functionLogicalId: m.functionLogicalId,
      acked: done.length,
      failed: messages.length - done.length,
    });
  }
}

export interface ScheduleSpec {
  ruleLogicalId: string;
  ruleArn: string;
  functionLogicalId: string;
  intervalMs: number;
  input?: unknown;
}

/** Parses `rate(5 minutes)`; `cron(...)` schedules run every minute locally. */
export function scheduleIntervalMs(expression: string): number {
  const m = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!m) return 60_000;
  const n = Number(m[1]);
  const unit = m[2] as string;
  return n * (unit.startsWith('minute') ? 60_000 : unit.startsWith('hour') ? 3_600_000 : 86_400_000);
}

/** Timers for the EventBridge schedules; `trigger` runs one now (tests, the dashboard). */
export class LocalScheduler {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly runtime: LocalLambdaRuntime,
    readonly schedules: readonly ScheduleSpec[],
    private readonly options: { region: string; account: string; onError?: (err: unknown) => void },
  ) {}

  /**
   * Runs every schedule once now (so health is known from the start), then on its timer: the
   * interval `byRule` gives for the first prefix of its rule's logical id that matches, else
   * `intervalOverrideMs`, else its own rate.
   */
  start(intervalOverrideMs?: number, byRule: Readonly<Record<string, number>> = {}): void {
    for (const s of this.schedules) {
      void this.trigger(s.ruleLogicalId);
      const own = Object.entries(byRule).find(([prefix]) => s.ruleLogicalId.startsWith(prefix))?.[1];
      const timer = setInterval(
        () => void this.trigger(s.ruleLogicalId),
        own ?? intervalOverrideMs ?? s.intervalMs,
      );
      timer.unref();
      this.timers.push(timer);
    }
  }

  async trigger(ruleLogicalId: string): Promise<unknown> {
    const s = this.schedules.find((x) => x.ruleLogicalId === ruleLogicalId);
    if (!s) throw new Error(`no schedule ${ruleLogicalId}`);
    const event = s.input ?? {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.options.account,
      time: new Date().toISOString(),
      region: this.options.region,
      resources: [s.ruleArn],
      detail: {},
    };
    const p = this.runtime.invoke(s.functionLogicalId, event).catch((err: unknown) => {
      this.options.onError?.(err);
      return undefined;
    });
    this.running.add(p);
    try {
      return await p;
    } finally {
      this.running.delete(p);
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled([...this.running]);
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

export interface EventRuleSpec {
  ruleLogicalId: string;
  /** The rule's EventPattern, tokens resolved. */
  pattern: Record<string, unknown>;
  functionLogicalId: string;
}

/**
 * EventBridge rules with event patterns, for the events local servers emit (Step Functions
 * execution status changes): `put` delivers an event to the function of every matching rule,
 * asynchronously, as EventBridge does; a failed invocation goes to `onError` (no retries).
 */
export class LocalEventRules {
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly runtime: LocalLambdaRuntime,
    readonly rules: readonly EventRuleSpec[],
    private readonly options: { onError?: (err: unknown) => void } = {},
  ) {}

  put(event: Record<string, unknown>): void {
    for (const rule of this.rules) {
      if (!matchesEventPattern(rule.pattern, event)) continue;
      const p = this.runtime
        .invoke(rule.functionLogicalId, event)
        .catch((err: unknown) => this.options.onError?.(err))
        .finally(() => this.running.delete(p));
      this.running.add(p);
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}

/** EventBridge pattern matching for what CDK emits here: nested objects, arrays of exact values. */
export function matchesEventPattern(
  pattern: Record<string, unknown>,
  event: Record<string, unknown>,
): boolean {
  return Object.entries(pattern).every(([key, want]) => {
    const got = event[key];
    if (Array.isArray(want)) return want.some((w) => w === got || (Array.isArray(got) && got.includes(w)));
    if (want && typeof want === 'object') {
      return (
        !!got &&
        typeof got === 'object' &&
        matchesEventPattern(want as Record<string, unknown>, got as Record<string, unknown>)
      );
    }
    return false;
  });
}
