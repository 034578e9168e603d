// Runs the project's Lambda handlers in this process, as the synthesized template declares them
// (entry file from the `switchyard:entry` metadata, environment, timeout). Events and results go
// through JSON as they do in Lambda; a thrown error keeps its `name` (Lambda's errorType).
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';

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

  /** Invokes a function like Lambda's RequestResponse invoke; rejects with the handler's error. */
  async invoke(nameOrArn: string, event: unknown): Promise<unknown> {
    const f = this.spec(nameOrArn);
    const handler = this.handlers.get(f.logicalId);
    if (!handler) throw new Error(`local stack: ${f.logicalId} is not loaded`);
    const deadline = Date.now() + f.timeoutSeconds * 1000;
    const context: Context = {
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
