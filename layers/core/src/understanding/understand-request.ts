// What a decision makes of a request's features once its policy is known (route.ts calls it):
// the policy's `infer` sets the task and/or the domain the caller did not give (hints always
// win), each only when a model the policy may use serves it, so an inference never empties the
// candidate set by itself; and the explanation says which rule read which features.
//   task    the strongest task signal's registry task (summarize -> summarization, translate ->
//           translation, classify -> classification, extract -> extraction, code -> code;
//           question -> none: chat stays chat) replaces the request's default task
//   domain  the strongest domain (at or above its min_score) constrains like a `domain` hint
import type { CompiledRegistry } from '../compile.ts';
import type { ResolvedPolicy } from '../policy-match.ts';
import type { Plan, RouteRequest, UnderstandingExplanation } from '../route.types.ts';
import { mayUseModel } from '../tenant-view.ts';
import { TASK_OF_SIGNAL } from './conditions.ts';

/** The request as routed (with what was inferred) and the understanding explanation. */
export interface Understood {
  request: RouteRequest;
  explanation: UnderstandingExplanation;
}

/** Applies the policy's `infer` to a request with features; explains the policy match too. */
export function understandRequest(
  request: RouteRequest,
  resolved: ResolvedPolicy,
  registry: CompiledRegistry,
): Understood | undefined {
  const features = request.features;
  if (features === undefined) return undefined;
  const cp = resolved.compiled;
  const policy = cp.policy;
  const explanation: UnderstandingExplanation = { features, used: [] };
  if (cp.conditions.length > 0) {
    explanation.used.push({
      rule: 'match',
      features: cp.conditions.map((c) => c.feature),
      detail: `policy "${policy.name}": ${cp.conditions.map((c) => c.text).join(', ')}`,
    });
  }
  const infer = policy.infer ?? [];
  let task = request.task;
  let domain: string | undefined;
  const serves = (pred: (tasks: readonly string[], domains: readonly string[]) => boolean): boolean => {
    const universe =
      resolved.model === undefined ? registry.models : (registry.compiledById.get(resolved.model) ?? []);
    return universe.some(
      ({ model: m }) =>
        (cp.modelSet === undefined || cp.modelSet.has(m.id)) &&
        (resolved.version === undefined || m.version === resolved.version) &&
        m.status !== 'failed' &&
        m.status !== 'retired' &&
        mayUseModel(request.tenant, m.id, m.version) &&
        pred(m.tasks, m.domains),
    );
  };
  if (infer.includes('task') && request.hints.task === undefined && features.task !== undefined) {
    const signal = features.task;
    const strength = features.tasks[signal] ?? 0;
    const inferred = TASK_OF_SIGNAL[signal];
    if (inferred !== undefined && inferred !== task) {
      if (serves((tasks) => tasks.includes(inferred))) {
        task = inferred;
        explanation.used.push({
          rule: 'infer',
          features: ['task'],
          detail: `task "${inferred}" from the ${signal} signal (${strength})`,
        });
      } else {
        explanation.used.push({
          rule: 'infer',
          features: ['task'],
          detail: `the ${signal} signal (${strength}) is not used: no model of policy "${policy.name}" serves task "${inferred}"`,
        });
      }
    }
  }
  if (infer.includes('domain') && request.hints.domain === undefined && features.domain !== undefined) {
    const d = features.domain;
    const score = features.domains[d] ?? 0;
    if (serves((tasks, domains) => tasks.includes(task) && domains.includes(d))) {
      domain = d;
      explanation.used.push({ rule: 'infer', features: ['domain'], detail: `domain "${d}" (${score})` });
    } else {
      explanation.used.push({
        rule: 'infer',
        features: ['domain'],
        detail: `domain "${d}" (${score}) is not used: no model of policy "${policy.name}" serves it for task "${task}"`,
      });
    }
  }
  if (task === request.task && domain === undefined) return { request, explanation };
  explanation.inferred = {
    ...(task !== request.task ? { task } : {}),
    ...(domain !== undefined ? { domain } : {}),
  };
  const routed: RouteRequest = {
    ...request,
    task,
    hints: domain === undefined ? request.hints : { ...request.hints, domain },
  };
  return { request: routed, explanation };
}

/** Notes the ensemble's complexity trigger (policy `ensemble.min_complexity`) when it decided. */
export function explainEnsemble(
  understood: Understood,
  policy: ResolvedPolicy['compiled']['policy'],
  plan: Plan,
) {
  const min = policy.ensemble?.min_complexity;
  const { request, explanation } = understood;
  const hint = request.hints.ensemble;
  if (min === undefined || hint === true || typeof hint === 'object') return;
  const c = explanation.features.complexity;
  const fans = hint !== false && c >= min;
  explanation.used.push({
    rule: 'ensemble',
    features: ['complexity'],
    detail: fans
      ? `complexity ${c} >= min_complexity ${min}: ${plan.ensemble ? `fan out to ${plan.ensemble.targets.length}` : 'fan out, but fewer than 2 members (or the prompt is under min_prompt_tokens)'}`
      : hint === false
        ? 'the caller opted out (ensemble: false)'
        : `complexity ${c} < min_complexity ${min}: no fan-out`,
  });
}
