// Scripted one-line mutants that Stryker does not generate (it never changes a number) or that
// issue 8 named: each is applied to the source in place, the unit suites run (the mutation
// config: test/mutation/vitest.config.ts, stopping at the first failure), and the file is put
// back. Every mutant here must be killed; the script exits 1 naming any that survived.
//
//   npm run mutate:literals              # all of them
//   npm run mutate:literals -- cost tail  # only those whose id contains one of the words
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Mutant {
  id: string;
  file: string;
  /** Must occur exactly once in the file. */
  from: string;
  to: string;
}

const M = (id: string, file: string, from: string, to: string): Mutant => ({ id, file, from, to });
const ROUTE = 'layers/core/src/route.ts';
const SCORE = 'layers/core/src/score.ts';
const BREAKER = 'layers/core/src/health/circuit-breaker.ts';
const GATES = 'layers/core/src/rollout/gates.ts';
const EXEC = 'layers/core/src/execute-plan.ts';

export const MUTANTS: readonly Mutant[] = [
  // Named in issue 8.
  M('cost-cap-boundary', ROUTE, 'modelCost > costCap', 'modelCost >= costCap'),
  M('latency-cap-boundary', ROUTE, 'known > latencyCap', 'known >= latencyCap'),
  M(
    'breaker-min-requests',
    BREAKER,
    'window.requests >= settings.min_requests',
    'window.requests > settings.min_requests',
  ),
  M(
    'breaker-error-rate',
    BREAKER,
    'window.error_rate >= settings.error_rate_threshold',
    'window.error_rate > settings.error_rate_threshold',
  ),
  M(
    'degraded-at-full-threshold',
    'layers/core/src/health/assess.ts',
    'settings.error_rate_threshold / 2',
    'settings.error_rate_threshold',
  ),
  M(
    'gates-stable-traffic-ignored',
    GATES,
    'stable.requests >= gates.min_requests && stable.p95_ms',
    'stable.p95_ms',
  ),
  M('penalty-unknown', SCORE, 'unknown: 0.9', 'unknown: 1'),
  M('penalty-degraded', SCORE, 'degraded: 0.7', 'degraded: 1'),
  M('penalty-half-open', SCORE, "'half-open': 0.5", "'half-open': 1"),
  M('deadline-caps-attempt', EXEC, 'Math.min(target.timeout_ms, budgetMs)', 'target.timeout_ms'),
  M(
    'plan-attempt-capped',
    'layers/core/src/plan.ts',
    'Math.min(policy.timeouts.attempt_ms, deadline)',
    'policy.timeouts.attempt_ms',
  ),
  M('stale-open-circuit', ROUTE, 'isFresh ? (hc.circuit[s] as number) : CLOSED', '(hc.circuit[s] as number)'),
  M(
    'local-stale-shared',
    'functions/router/local-circuits.ts',
    'shared !== undefined && isFresh(shared, now, freshMs)',
    'shared !== undefined',
  ),
  M(
    'cost-header-swapped',
    'functions/router/router.service.ts',
    'usage.prompt_tokens, usage.completion_tokens',
    'usage.completion_tokens, usage.prompt_tokens',
  ),
  // Issue 8, closing: outcomes of every plan ending, names a tenant may not use.
  M(
    'outcomes-only-on-answer',
    'functions/router/router.service.ts',
    'await this.record(outcome.attempts, started);',
    'if (outcome.ok) await this.record(outcome.attempts, started);',
  ),
  M('ensemble-attempts-dropped', EXEC, 'for (const r of runs) attempts.push(r.record);', ''),
  M(
    'allow-list-not-resolved',
    'layers/core/src/policy-match.ts',
    'if (!mayUseModel(request.tenant, model, version)) throw new ModelNotFoundError(name);',
    '',
  ),
  // Numbers and boundaries next to them.
  M('tail-weight', SCORE, 'TAIL_WEIGHT = 0.25', 'TAIL_WEIGHT = 0.5'),
  M('default-latency', SCORE, 'DEFAULT_LATENCY_MS = 1000', 'DEFAULT_LATENCY_MS = 2000'),
  M('default-capacity', SCORE, 'DEFAULT_CAPACITY = 16', 'DEFAULT_CAPACITY = 32'),
  M('cost-floor', SCORE, 'maxCost * 0.1', 'maxCost * 0.01'),
  M('latency-floor', SCORE, 'LATENCY_FLOOR_MS = 1', 'LATENCY_FLOOR_MS = 10'),
  M('priority-high-quality', SCORE, 'quality: weights.quality * 2', 'quality: weights.quality * 1'),
  M('priority-low-cost', SCORE, 'cost: weights.cost * 2', 'cost: weights.cost * 1'),
  M('fresh-boundary', ROUTE, '(hc.checkedAt[s] as number) <= fresh', '(hc.checkedAt[s] as number) < fresh'),
  M('fresh-default', ROUTE, 'DEFAULT_HEALTH_FRESH_MS = 90_000', 'DEFAULT_HEALTH_FRESH_MS = 60_000'),
  M('quality-prior-default', ROUTE, 'm.quality[task] ?? 0.5', 'm.quality[task] ?? 0.6'),
  M('breaker-default-threshold', BREAKER, 'failure_threshold: 5', 'failure_threshold: 6'),
  M(
    'breaker-cooldown-boundary',
    BREAKER,
    'now - (b.opened_at ?? now) >= settings.cooldown_ms',
    'now - (b.opened_at ?? now) > settings.cooldown_ms',
  ),
  M(
    'breaker-trial-busy',
    BREAKER,
    'now - current.trial_at < settings.cooldown_ms',
    'now - current.trial_at <= settings.cooldown_ms',
  ),
  M('window-buckets', 'layers/core/src/health/error-window.ts', 'const BUCKETS = 6', 'const BUCKETS = 4'),
  M(
    'window-edge',
    'layers/core/src/health/error-window.ts',
    'b.start <= now - windowMs',
    'b.start < now - windowMs',
  ),
  M(
    'assess-cooldown',
    'layers/core/src/health/assess.ts',
    '>= settings.cooldown_ms',
    '> settings.cooldown_ms',
  ),
  M(
    'latency-alpha',
    'layers/core/src/health/latency.ts',
    'LATENCY_EWMA_ALPHA = 0.3',
    'LATENCY_EWMA_ALPHA = 0.5',
  ),
  M(
    'peak-decay',
    'layers/core/src/health/latency.ts',
    'LATENCY_PEAK_DECAY_ALPHA = 0.1',
    'LATENCY_PEAK_DECAY_ALPHA = 0.2',
  ),
  M('gates-floor', GATES, 'GATE_LATENCY_FLOOR_MS = 10', 'GATE_LATENCY_FLOOR_MS = 1'),
  M(
    'gates-early-breach',
    GATES,
    'candidate.failures > gates.max_error_rate',
    'candidate.failures >= gates.max_error_rate',
  ),
  M(
    'gates-ratio-boundary',
    GATES,
    'ratio > gates.max_p95_latency_ratio',
    'ratio >= gates.max_p95_latency_ratio',
  ),
  M('canary-boundary', 'layers/core/src/canary.ts', 'u < weight', 'u <= weight'),
  M('exec-by-deadline', EXEC, 'budgetMs < target.timeout_ms', 'budgetMs <= target.timeout_ms'),
  M('exec-no-launch-at-deadline', EXEC, 'budget <= 0 ||', 'budget < 0 ||'),
  M('tokens-per-char', 'layers/core/src/tokens.ts', 'Math.ceil(ascii / 4)', 'Math.ceil(ascii / 3)'),
  M(
    'tokens-message-overhead',
    'layers/core/src/tokens.ts',
    'MESSAGE_OVERHEAD_TOKENS = 4',
    'MESSAGE_OVERHEAD_TOKENS = 3',
  ),
  M('tokens-priming', 'layers/core/src/tokens.ts', 'REPLY_PRIMING_TOKENS = 3', 'REPLY_PRIMING_TOKENS = 2'),
  M('tokens-image', 'layers/core/src/tokens.ts', 'IMAGE_PART_TOKENS = 765', 'IMAGE_PART_TOKENS = 85'),
  M(
    'default-max-output',
    'layers/core/src/route-request.ts',
    'DEFAULT_MAX_OUTPUT_TOKENS = 512',
    'DEFAULT_MAX_OUTPUT_TOKENS = 256',
  ),
  M('hint-positive', 'layers/core/src/hints.ts', 'n <= 0', 'n < 0'),
  M(
    'outcome-flush-interval',
    'layers/adapters/src/outcome-buffer.ts',
    'flushIntervalMs ?? 1000',
    'flushIntervalMs ?? 2000',
  ),
  M(
    'outcome-max-buffered',
    'layers/adapters/src/outcome-buffer.ts',
    'maxBuffered ?? 500',
    'maxBuffered ?? 1000',
  ),
  M(
    'ttl-boundary',
    'layers/adapters/src/ttl-cache.ts',
    'this.#now() < cached.expiresAt',
    'this.#now() <= cached.expiresAt',
  ),
  M(
    'status-408',
    'layers/adapters/src/upstream-failure.ts',
    "status === 408) return 'timeout'",
    "status === 408) return 'rejected'",
  ),
  M(
    'overlay-max-age',
    'functions/router/local-circuits.ts',
    'OVERLAY_MAX_AGE_MS = 1000',
    'OVERLAY_MAX_AGE_MS = 60_000',
  ),
];

const root = fileURLToPath(new URL('../..', import.meta.url));
const vitest = `${root}node_modules/vitest/vitest.mjs`;
const config = `${root}test/mutation/vitest.config.ts`;

function run(m: Mutant): 'killed' | 'survived' {
  const path = `${root}${m.file}`;
  const original = readFileSync(path, 'utf8');
  const at = original.indexOf(m.from);
  if (at < 0 || original.indexOf(m.from, at + 1) >= 0) {
    throw new Error(`${m.id}: "${m.from}" must occur exactly once in ${m.file}`);
  }
  const restore = () => writeFileSync(path, original);
  const onSignal = () => {
    restore();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  writeFileSync(path, original.slice(0, at) + m.to + original.slice(at + m.from.length));
  try {
    const r = spawnSync(
      process.execPath,
      [vitest, 'run', '--config', config, '--bail', '1', '--reporter', 'dot'],
      {
        cwd: root,
        stdio: 'ignore',
        env: { ...process.env, CI: 'true' },
      },
    );
    return r.status === 0 ? 'survived' : 'killed';
  } finally {
    restore();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const words = process.argv.slice(2);
const chosen = words.length ? MUTANTS.filter((m) => words.some((w) => m.id.includes(w))) : MUTANTS;
const survived: string[] = [];
for (const m of chosen) {
  const t = Date.now();
  const verdict = run(m);
  if (verdict === 'survived') survived.push(m.id);
  console.log(`${verdict.padEnd(8)} ${m.id} (${m.file}) ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
console.log(`${chosen.length - survived.length} killed, ${survived.length} survived`);
if (survived.length) process.exitCode = 1;
