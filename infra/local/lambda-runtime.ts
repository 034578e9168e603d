// Runs the project's Lambda handlers in this process, as the synthesized template declares them
// (entry file from the `switchyard:entry` metadata, environment, timeout). Events and results go
// through JSON as they do in Lambda; a thrown error keeps its `name` (Lambda's errorType).
// Streamified handlers (response streaming) run too: the `awslambda` global the Node.js runtime
// provides is installed before any handler loads (`streamifyResponse`, and `HttpResponseStream.from`
// writing the JSON prelude and its 8-byte NUL delimiter as Lambda does), and `invokeStreaming`
// hands the handler a writable stream whose bytes the caller reads as they are written.
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';

/** What Lambda's runtime marks a streamified handler with. */
export const STREAMING_HANDLER = Symbol.for('aws.lambda.runtime.handler.streaming');
/** Between the HTTP prelude (JSON status and headers) and the body of a streamed HTTP answer. */
export const HTTP_PRELUDE_DELIMITER = Buffer.alloc(8);

/** Installs the `awslambda` global of Lambda's Node.js runtime (idempotent). */
export function installAwsLambdaGlobal(): void {
  // Other libraries keep state on the same global (the invoke store): add to it, never replace it.
  const g = globalThis as { awslambda?: Record<string, unknown> };
  g.awslambda ??= {};
  if (typeof g.awslambda.streamifyResponse === 'function') return;
  Object.assign(g.awslambda, {
    streamifyResponse<F extends object>(fn: F): F {
      (fn as Record<symbol, unknown>)[STREAMING_HANDLER] = 'response';
      return fn;
    },
    HttpResponseStream: {
      from(stream: Writable, prelude: Record<string, unknown>): Writable {
        stream.write(JSON.stringify(prelude));
        stream.write(HTTP_PRELUDE_DELIMITER);
        return stream;
      },
    },
  });
}

type StreamingHandler = (event: unknown, stream: Writable, context: Context) => Promise<unknown>;

export interface LocalFunctionSpec {
  logicalId: string;
  name: string;
  arn: string;
  /** Handler file relative to the repository root. */
  entry: string;
  handlerName: string;
  env: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

export class LambdaTimeoutError extends Error {
  constructor(fn: string, seconds: number) {
    super(`Task timed out after ${seconds.toFixed(2)} seconds (${fn})`);
    this.name = 'Sandbox.Timedout';
  }
}

export class LocalLambdaRuntime {
  private readonly byKey = new Map<string, LocalFunctionSpec>();
  private readonly handlers = new Map<string, Handler>();
  private readonly modules = new Map<string, Record<string, unknown>>();
  /** In-flight invocations per function, each with the kill that ends it. */
  private readonly inflight = new Map<string, Set<(err: Error) => void>>();
  private generation = 0;

  constructor(
    readonly functions: readonly LocalFunctionSpec[],
    private readonly root: string,
  ) {
    for (const f of functions) {
      this.byKey.set(f.arn, f);
      this.byKey.set(f.name, f);
      this.byKey.set(f.logicalId, f);
    }
  }

  /**
   * Sets the functions' environment (all in-process functions share one process.env, so two
   * functions giving one variable different values is refused) and imports every handler.
   * Variables in `overrides` win, and may differ from the template's.
   */
  async load(overrides: Record<string, string> = {}): Promise<void> {
    const merged: Record<string, { value: string; from: string }> = {};
    for (const f of this.functions) {
      for (const [k, v] of Object.entries(f.env)) {
        const prior = merged[k];
        if (prior && prior.value !== v && !(k in overrides)) {
          throw new Error(
            `local stack: ${k} is "${prior.value}" for ${prior.from} but "${v}" for ${f.logicalId}; ` +
              'in-process functions share one environment',
          );
        }
        merged[k] = { value: v, from: f.logicalId };
      }
    }
    for (const [k, { value }] of Object.entries(merged)) process.env[k] = value;
    Object.assign(process.env, overrides);
    installAwsLambdaGlobal();
    for (const f of this.functions) await this.importHandler(f, '');
  }

  private async importHandler(f: LocalFunctionSpec, query: string): Promise<void> {
    const url = pathToFileURL(resolve(this.root, f.entry)).href + query;
    const mod = (await import(url)) as Record<string, unknown>;
    const handler = mod[f.handlerName];
    if (typeof handler !== 'function') throw new Error(`${f.entry} does not export ${f.handlerName}`);
    this.handlers.set(f.logicalId, handler as Handler);
    this.modules.set(f.logicalId, mod);
  }

  /**
   * Kills a function's execution environment and starts a new one, as when Lambda's container
   * crashes: its invocations in flight fail now (the caller sees Lambda's error), the module's
   * `freeze` export (if any) stops all it would still do, and the next invocation runs a fresh
   * import of the handler with fresh module state.
   */
  async restart(nameOrArn: string): Promise<void> {
    const f = this.spec(nameOrArn);
    const freeze = this.modules.get(f.logicalId)?.freeze;
    if (typeof freeze === 'function') (freeze as () => void)();
    for (const kill of this.inflight.get(f.logicalId) ?? []) {
      kill(Object.assign(new Error(`Runtime exited (${f.name} was killed)`), { name: 'Runtime.ExitError' }));
    }
    this.inflight.delete(f.logicalId);
    await this.importHandler(f, `?generation=${++this.generation}`);
  }

  spec(nameOrArn: string): LocalFunctionSpec {
    const f = this.byKey.get(nameOrArn) ?? this.byKey.get(nameOrArn.split(':').slice(0, 7).join(':'));
    if (!f) throw new Error(`local stack: no function ${nameOrArn}`);
    return f;
  }

  /** Whether the function's handler is streamified. */
  isStreaming(nameOrArn: string): boolean {
    const handler = this.handlers.get(this.spec(nameOrArn).logicalId);
    return (
      handler !== undefined &&
      (handler as unknown as Record<symbol, unknown>)[STREAMING_HANDLER] !== undefined
    );
  }

  /**
   * Invokes a streamified function like InvokeWithResponseStream: `output` carries the bytes the
   * handler writes, as it writes them, and ends when it ends; it is destroyed with the error when
   * the handler fails or times out. Destroying `output` (the reader went away) fails the handler's
   * writes, as a closed connection does in Lambda.
   */
  invokeStreaming(nameOrArn: string, event: unknown): { output: PassThrough; done: Promise<void> } {
    const f = this.spec(nameOrArn);
    const handler = this.handlers.get(f.logicalId) as unknown as StreamingHandler | undefined;
    if (!handler || !this.isStreaming(nameOrArn))
      throw new Error(`local stack: ${f.logicalId} does not stream`);
    const output = new PassThrough();
    const payload = JSON.parse(JSON.stringify(event ?? null)) as unknown;
    const timer = setTimeout(
      () => output.destroy(new LambdaTimeoutError(f.name, f.timeoutSeconds)),
      f.timeoutSeconds * 1000,
    );
    // A killed environment (restart) fails its streams in flight as it fails other invocations.
    const kill = (err: Error) => output.destroy(err);
    const running = this.inflight.get(f.logicalId) ?? new Set();
    this.inflight.set(f.logicalId, running);
    running.add(kill);
    const done = Promise.resolve()
      .then(() => handler(payload, output, this.#context(f)))
      .then(
        () => {
          if (!output.writableEnded) output.end();
        },
        (err: unknown) => {
          output.destroy(err instanceof Error ? err : new Error(String(err)));
        },
      )
      .finally(() => {
        clearTimeout(timer);
        running.delete(kill);
      });
    return { output, done };
  }

  #context(f: LocalFunctionSpec): Context {
    const deadline = Date.now() + f.timeoutSeconds * 1000;
    return {
      callbackWaitsForEmptyEventLoop: false,
      functionName: f.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: f.arn,
      memoryLimitInMB: String(f.memoryMb),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${f.name}`,
      logStreamName: 'local',
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
  }

  /** Invokes a function like Lambda's RequestResponse invoke; rejects with the handler's error. */
  async invoke(nameOrArn: string, event: unknown): Promise<unknown> {
    const f = this.spec(nameOrArn);
    const handler = this.handlers.get(f.logicalId);
    if (!handler) throw new Error(`local stack: ${f.logicalId} is not loaded`);
    if (this.isStreaming(nameOrArn))
      throw new Error(`local stack: ${f.logicalId} streams; use invokeStreaming`);
    const context = this.#context(f);
    const payload = JSON.parse(JSON.stringify(event ?? null)) as unknown;
    let timer: NodeJS.Timeout | undefined;
    let kill: ((err: Error) => void) | undefined;
    const timeout = new Promise<never>((_, reject) => {
      kill = reject;
      timer = setTimeout(
        () => reject(new LambdaTimeoutError(f.name, f.timeoutSeconds)),
        f.timeoutSeconds * 1000,
      );
    });
    const running = this.inflight.get(f.logicalId) ?? new Set();
    this.inflight.set(f.logicalId, running);
    running.add(kill as (err: Error) => void);
    try {
      const result = await Promise.race([handler(payload, context), timeout]);
      return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown);
    } finally {
      clearTimeout(timer);
      running.delete(kill as (err: Error) => void);
    }
  }
}
