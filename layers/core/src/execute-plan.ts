// Executes a plan: the primary, then each fallback on a retryable failure, each attempt bounded
// by its timeout and all of them by the plan's deadline. The client is a port; time is an argument.
import type { AttemptRecord } from './errors.ts';
import { TargetsExhaustedError, UpstreamError } from './errors.ts';
import type { InferenceCall, InferenceClient, InferenceResult } from './ports.ts';
import type { Plan, PlanTarget } from './route.types.ts';

export interface ExecutionResult {
  result: InferenceResult;
  target: PlanTarget;
  attempts: AttemptRecord[];
}

export interface ExecuteDeps {
  client: InferenceClient;
  now: () => number;
}

export async function executePlan(
  plan: Plan,
  call: InferenceCall,
  deps: ExecuteDeps,
): Promise<ExecutionResult> {
  const started = deps.now();
  const attempts: AttemptRecord[] = [];
  for (const target of [plan.primary, ...plan.fallbacks]) {
    const left = plan.deadline_ms - (deps.now() - started);
    if (left <= 0) throw new TargetsExhaustedError(attempts, true);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), Math.min(target.timeout_ms, left));
    const t0 = deps.now();
    try {
      const result = await deps.client.invoke(target, call, controller.signal);
      attempts.push({ ...ids(target), outcome: 'success', duration_ms: deps.now() - t0 });
      return { result, target, attempts };
    } catch (err) {
      const e =
        err instanceof UpstreamError
          ? err
          : new UpstreamError('connection', String(err), undefined, { cause: err });
      attempts.push({ ...ids(target), outcome: e.failure, duration_ms: deps.now() - t0, error: e.message });
      if (!e.retryable) throw e;
    } finally {
      clearTimeout(timer);
    }
  }
  throw new TargetsExhaustedError(attempts, false);
}

const ids = (t: PlanTarget) => ({ endpoint: t.endpoint, model: t.model, version: t.version });
