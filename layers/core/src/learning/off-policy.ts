// Off-policy evaluation: what a candidate policy would have scored on logged decisions, from
// the propensities the logging policy recorded (Dudík, Langford & Li, "Doubly Robust Policy
// Evaluation and Learning", ICML 2011).
//   IPS  v̂ = mean( π(a|x) / p(a|x) · r )
//   DR   v̂ = mean( Σ_b π(b|x) q̂(x,b) + π(a|x) / p(a|x) · (r − q̂(x,a)) )
// with a as logged, p its logged propensity, π the candidate's probability of a, q̂ a reward
// model. Intervals are normal approximations: mean ± z · sd / √n over the per-decision terms.
// Pure; the eval (and a platform team's notebook) supplies π and q̂.

/** One logged decision as the estimators need it. */
export interface LoggedSample {
  /** Observed reward. */
  reward: number;
  /** The logging policy's probability of the logged action (> 0). */
  propensity: number;
  /** The candidate policy's probability of the logged action. */
  target: number;
  /** Reward model at the logged action, q̂(x, a). */
  modelLogged: number;
  /** Reward model under the candidate policy, Σ_b π(b|x) q̂(x, b). */
  modelTarget: number;
}

export interface Estimate {
  value: number;
  /** 95 % interval (normal approximation). */
  low: number;
  high: number;
  n: number;
  /** Effective sample size of the importance weights, (Σw)² / Σw². */
  effective_n: number;
}

const Z95 = 1.959963984540054;

function summarise(terms: readonly number[], weights: readonly number[]): Estimate {
  const n = terms.length;
  if (n === 0) return { value: Number.NaN, low: Number.NaN, high: Number.NaN, n: 0, effective_n: 0 };
  const mean = terms.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? terms.reduce((a, t) => a + (t - mean) ** 2, 0) / (n - 1) : 0;
  const half = Z95 * Math.sqrt(variance / n);
  const sw = weights.reduce((a, b) => a + b, 0);
  const sw2 = weights.reduce((a, b) => a + b * b, 0);
  return { value: mean, low: mean - half, high: mean + half, n, effective_n: sw2 > 0 ? (sw * sw) / sw2 : 0 };
}

const weightOf = (s: LoggedSample): number => (s.propensity > 0 ? s.target / s.propensity : 0);

/** Inverse propensity scoring. Samples with a non-positive propensity contribute 0. */
export function ipsEstimate(samples: readonly LoggedSample[]): Estimate {
  const w = samples.map(weightOf);
  return summarise(
    samples.map((s, i) => (w[i] as number) * s.reward),
    w,
  );
}

/**
 * Self-normalised IPS: Σ w r / Σ w. Slightly biased, much steadier when weights are heavy-tailed
 * (the logging policy rarely took what the candidate takes). Interval by the delta method.
 */
export function snipsEstimate(samples: readonly LoggedSample[]): Estimate {
  const w = samples.map(weightOf);
  const sw = w.reduce((a, b) => a + b, 0);
  if (sw <= 0) return { ...summarise([], []), n: samples.length };
  const value = samples.reduce((a, s, i) => a + (w[i] as number) * s.reward, 0) / sw;
  const meanW = sw / samples.length;
  const e = summarise(
    samples.map((s, i) => ((w[i] as number) * (s.reward - value)) / meanW),
    w,
  );
  return { ...e, value, low: value + e.low - e.value, high: value + e.high - e.value };
}

/** Doubly robust: the reward model's value plus the importance-weighted correction of its error. */
export function doublyRobustEstimate(samples: readonly LoggedSample[]): Estimate {
  const w = samples.map(weightOf);
  return summarise(
    samples.map((s, i) => s.modelTarget + (w[i] as number) * (s.reward - s.modelLogged)),
    w,
  );
}
