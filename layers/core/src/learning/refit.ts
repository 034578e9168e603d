// One refit: fold new feedback events into the learned state, then solve λ for every learned
// policy that sets a target (lambda.ts) on a sample of recent decision contexts. Pure: the
// scheduled refit function (and the offline eval) supply the events, contexts and clock.
import type { Policy } from '../registry.schema.ts';
import type { LambdaContext } from './lambda.ts';
import { solveLambda } from './lambda.ts';
import type { LearnedState, LearningEvent } from './learned-state.ts';
import { compileLearnedState, foldEvents } from './learned-state.ts';

export interface RefitInput {
  state: LearnedState;
  events: Iterable<LearningEvent>;
  /** Recent decision contexts per policy name, to solve λ on. */
  contexts: ReadonlyMap<string, readonly LambdaContext[]>;
  policies: readonly Policy[];
  now: number;
}

export interface RefitResult {
  state: LearnedState;
  folded: number;
  skipped: number;
  /** λ solved per policy this refit. */
  lambda: Record<string, number>;
}

export function refitLearnedState(input: RefitInput): RefitResult {
  const folded = foldEvents(input.state, input.events, input.now);
  const compiled = compileLearnedState(folded.state);
  const lambda: Record<string, number> = { ...folded.state.lambda };
  const solved: Record<string, number> = {};
  for (const p of input.policies) {
    if (p.learning === undefined || (p.strategy !== 'learned' && !p.learning.shadow && !p.learning.canary))
      continue;
    const { quality_floor, target_cost_usd } = p.learning;
    const target =
      quality_floor !== undefined
        ? { quality_floor }
        : target_cost_usd !== undefined
          ? { target_cost_usd }
          : undefined;
    if (target === undefined) continue;
    const l = solveLambda(input.contexts.get(p.name) ?? [], compiled, target);
    if (l === undefined) continue;
    lambda[p.name] = l;
    solved[p.name] = l;
  }
  return {
    state: { ...folded.state, lambda },
    folded: folded.folded,
    skipped: folded.skipped,
    lambda: solved,
  };
}
