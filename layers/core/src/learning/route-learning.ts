// What route() hands the learned strategy: the context vector, each candidate's arm, λ and the
// exploration cap for this request's policy and priority. The endpoint-slot → arm table is
// built once per (registry, learned state) pair and cached, so a decision only indexes it.
import type { Priority } from '../api.schema.ts';
import type { CompiledRegistry } from '../compile.ts';
import { modelKey } from '../compile.ts';
import type { Policy } from '../registry.schema.ts';
import type { RouteRequest } from '../route.types.ts';
import { LEARNED_DEFAULTS } from '../strategies/learned.ts';
import type { LearningInput } from '../strategies/strategy.ts';
import { CONTEXT_DIM, contextVector } from './context.ts';
import type { CompiledLearnedState } from './learned-state.ts';

// Reused by the synchronous decision path (typed-array allocation per decision costs more than
// the bandit arithmetic); explanations build fresh ones.
let armScratch = new Int32Array(64);
const contextScratch = new Float64Array(CONTEXT_DIM);

/** λ multiplier by priority: high cares less about cost, low more (as score.ts leans weights). */
export const PRIORITY_LAMBDA: Readonly<Record<Priority, number>> = { high: 0.5, normal: 1, low: 2 };

const armTables = new WeakMap<CompiledLearnedState, { registry: CompiledRegistry; arms: Int32Array }>();
const NO_STATE = new WeakMap<CompiledRegistry, Int32Array>();

/** Arm index per registry endpoint slot (-1: that model version has no learned state). */
export function armsBySlot(registry: CompiledRegistry, state: CompiledLearnedState | undefined): Int32Array {
  const endpoints = registry.registry.endpoints;
  if (state === undefined) {
    let none = NO_STATE.get(registry);
    if (!none) {
      none = new Int32Array(endpoints.length).fill(-1);
      NO_STATE.set(registry, none);
    }
    return none;
  }
  const hit = armTables.get(state);
  if (hit?.registry === registry) return hit.arms;
  const arms = Int32Array.from(endpoints, (e) => state.arms.get(modelKey(e.model, e.version)) ?? -1);
  armTables.set(state, { registry, arms });
  return arms;
}

/** The cost weight for a policy: the refit's solved λ, else the policy's, times the priority lean. */
export function learnedLambda(
  policy: Policy,
  priority: Priority,
  state: CompiledLearnedState | undefined,
): number {
  const base = state?.lambda[policy.name] ?? policy.learning?.lambda ?? LEARNED_DEFAULTS.lambda;
  return base * PRIORITY_LAMBDA[priority];
}

/** The exploration share: the policy's cap, none for high priority. */
export function learnedExplore(policy: Policy, priority: Priority): number {
  return priority === 'high' ? 0 : (policy.learning?.explore ?? LEARNED_DEFAULTS.explore);
}

/**
 * The learned strategy's input for `n` candidates at endpoint slots `slots`. With `reuse`, its
 * arrays are shared scratch, valid until the next call (the decision itself); without, fresh.
 */
export function learningInput(
  request: RouteRequest,
  policy: Policy,
  registry: CompiledRegistry,
  state: CompiledLearnedState | undefined,
  slots: ArrayLike<number>,
  n: number,
  reuse = false,
): LearningInput {
  const priority = request.hints.priority ?? 'normal';
  const bySlot = armsBySlot(registry, state);
  if (reuse && armScratch.length < n) armScratch = new Int32Array(2 ** Math.ceil(Math.log2(n)));
  const arms = reuse ? armScratch.subarray(0, n) : new Int32Array(n);
  for (let i = 0; i < n; i++) arms[i] = bySlot[slots[i] as number] as number;
  return {
    x: contextVector(request.features, request, reuse ? contextScratch : undefined),
    arms,
    state,
    lambda: learnedLambda(policy, priority, state),
    explore: learnedExplore(policy, priority),
  };
}
