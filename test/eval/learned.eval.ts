// `npm run eval`: offline evaluation of learned routing on the bundled simulated workload
// (environment.ts). Replays the workload through the real core (route() with the learned
// strategy, refits with refitLearnedState every REFIT_EVERY feedback events) and reports, for
// every single model, the static strategies, random and the learned router: mean quality, mean
// cost, quality retained and cost relative to the best single model, the regret curve and the
// feedback events until convergence; then off-policy estimates (IPS, doubly robust, 95 % CI) of
// candidate policies on the learned run's logged decisions, next to their true values.
// Progress goes to stderr; the report to stdout (`--json`: one JSON line per figure); the plot
// to eval-output/learned-eval.svg (gitignored). Options: --events N, --seed N, --out DIR.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CompiledLearnedState,
  CompiledRegistry,
  LambdaContext,
  LearnedState,
  LearningEvent,
  LoggedSample,
  RouteRequest,
} from '../../layers/core/src/index.ts';
import {
  armEstimate,
  compileLearnedState,
  compileRegistry,
  doublyRobustEstimate,
  emptyLearnedState,
  ipsEstimate,
  RegistrySchema,
  refitLearnedState,
  route,
  seededRandom,
  snipsEstimate,
  solveLambda,
} from '../../layers/core/src/index.ts';
import type { EvalRequest, SimModel } from './environment.ts';
import {
  costOf,
  evalRegistry,
  feedbackScore,
  MODELS,
  routeRequestOf,
  trueQuality,
  workload,
} from './environment.ts';
import { plotSvg } from './svg-plot.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: number): number =>
  args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : fallback;
const JSON_OUT = args.includes('--json');
const EVENTS = opt('events', 6000);
const SEED = opt('seed', 2026);
const OUT = args.includes('--out') ? (args[args.indexOf('--out') + 1] as string) : 'eval-output';
const REFIT_EVERY = 100;
const HOLDOUT = 800;
/** The learned policy: at least this mean quality, as cheaply as it can (λ solved per refit). */
const QUALITY_FLOOR = 0.885;
const EXPLORE = 0.05;
/** Convergence: the holdout utility stays within this of its final value from then on. */
const CONVERGED_WITHIN = 0.005;
const NOW = 1_800_000_000_000;
const HEALTH = { endpoints: {} };

const byId = new Map(MODELS.map((m) => [m.id, m]));
const modelOf = (id: string): SimModel => byId.get(id) as SimModel;
const compile = (policy: Parameters<typeof evalRegistry>[0]): CompiledRegistry =>
  compileRegistry(RegistrySchema.parse(evalRegistry(policy)));

const learnedRegistry = compile({
  strategy: 'learned',
  learning: { quality_floor: QUALITY_FLOOR, explore: EXPLORE },
});
const greedyRegistry = compile({
  strategy: 'learned',
  learning: { quality_floor: QUALITY_FLOOR, explore: 0 },
});
const learnedPolicy = learnedRegistry.registry
  .policies[0] as (typeof learnedRegistry.registry.policies)[number];

const progress = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

// ---- the oracle: true quality, λ* solved on the truth for the same floor ----
const train = workload(EVENTS, SEED);
const holdout = workload(HOLDOUT, SEED + 1);

/** Contexts whose "estimates" are the truth (prior = true quality, no state): for λ* and regret. */
const truthContexts = (rs: readonly EvalRequest[]): LambdaContext[] =>
  rs.map((r) => ({
    x: [1],
    candidates: MODELS.map((m) => ({ arm: m.id, prior: trueQuality(m, r), cost: costOf(m, r) })),
  }));
const lambdaStar = solveLambda(truthContexts(train), undefined, { quality_floor: QUALITY_FLOOR }) ?? 0;

/** The objective every policy is scored on: true quality − λ* · cost / dearest cost. */
function utility(m: SimModel, r: EvalRequest): number {
  const max = Math.max(...MODELS.map((k) => costOf(k, r)));
  return trueQuality(m, r) - lambdaStar * (costOf(m, r) / max);
}
const oracleUtility = (r: EvalRequest): number => Math.max(...MODELS.map((m) => utility(m, r)));

interface Summary {
  name: string;
  quality: number;
  cost: number;
  utility: number;
}
function summarise(
  name: string,
  rs: readonly EvalRequest[],
  choose: (r: EvalRequest, i: number) => SimModel,
): Summary {
  let q = 0;
  let c = 0;
  let u = 0;
  rs.forEach((r, i) => {
    const m = choose(r, i);
    q += trueQuality(m, r);
    c += costOf(m, r);
    u += utility(m, r);
  });
  return { name, quality: q / rs.length, cost: c / rs.length, utility: u / rs.length };
}

// ---- baselines ----
const singles = MODELS.map((m) => summarise(`only ${m.id}`, train, () => m));
const bestSingle = singles.reduce((a, b) => (b.quality > a.quality ? b : a));
const staticStrategies = (['cost-first', 'quality-first', 'weighted', 'latency-first'] as const).map((s) => {
  const reg = compile({ strategy: s });
  const rnd = seededRandom(SEED + 7);
  return summarise(`strategy ${s}`, train, (r) =>
    modelOf(
      route(routeRequestOf(r), { registry: reg, health: HEALTH }, { now: NOW, random: rnd }).plan.primary
        .model,
    ),
  );
});
const randomPick = seededRandom(SEED + 3);
const random = summarise('random', train, () => MODELS[Math.floor(randomPick() * MODELS.length)] as SimModel);
const statics = [...singles, ...staticStrategies];
const bestStatic = statics.reduce((a, b) => (b.utility > a.utility ? b : a));
const oracle = summarise('oracle', train, (r) =>
  MODELS.reduce((a, b) => (utility(b, r) > utility(a, r) ? b : a)),
);

// ---- the learned run ----
interface Logged {
  request: EvalRequest;
  routed: RouteRequest;
  x: number[];
  chosen: string;
  propensity: number;
  reward: number;
}
let state: LearnedState = emptyLearnedState(NOW);
let compiled: CompiledLearnedState = compileLearnedState(state);
const rng = seededRandom(SEED + 11);
const noise = seededRandom(SEED + 13);
const log: Logged[] = [];
const pending: LearningEvent[] = [];
const recent: LambdaContext[] = [];
const regretCurve: Array<[number, number]> = [[0, 0]];
const holdoutCurve: Array<[number, number]> = [];
let regret = 0;
let explored = 0;
let learnedQ = 0;
let learnedC = 0;
let learnedU = 0;

function greedyHoldoutUtility(): number {
  const rnd = seededRandom(1);
  let u = 0;
  for (const r of holdout) {
    const d = route(
      routeRequestOf(r),
      { registry: greedyRegistry, health: HEALTH, learned: compiled },
      { now: NOW, random: rnd },
    );
    u += utility(modelOf(d.plan.primary.model), r);
  }
  return u / holdout.length;
}

const started = performance.now();
for (let t = 0; t < train.length; t++) {
  const r = train[t] as EvalRequest;
  const routed = routeRequestOf(r);
  const d = route(
    routed,
    { registry: learnedRegistry, health: HEALTH, learned: compiled },
    { now: NOW + t, random: rng },
  );
  const learned = d.explanation.learned;
  if (!learned) throw new Error('the learned policy did not explain its decision');
  const m = modelOf(d.plan.primary.model);
  const q = trueQuality(m, r);
  const reward = feedbackScore(q, noise(), noise());
  const x = learned.context;
  log.push({ request: r, routed, x, chosen: m.id, propensity: learned.propensity, reward });
  pending.push({ arm: `${m.id}@v1`, x, prior: learned.prior, reward });
  recent.push({
    x,
    candidates: d.explanation.candidates.map((c) => ({
      arm: `${c.model}@${c.version}`,
      prior: c.parts.quality,
      cost: c.estimated_cost_usd,
    })),
  });
  if (recent.length > 1000) recent.shift();
  if (learned.explored) explored++;
  learnedQ += q;
  learnedC += costOf(m, r);
  const u = utility(m, r);
  learnedU += u;
  regret += oracleUtility(r) - u;
  if ((t + 1) % 50 === 0) regretCurve.push([t + 1, regret]);
  if (pending.length === REFIT_EVERY) {
    const result = refitLearnedState({
      state,
      events: pending.splice(0),
      contexts: new Map([['auto', recent]]),
      policies: [learnedPolicy],
      now: NOW + t,
    });
    state = result.state;
    compiled = compileLearnedState(state);
    holdoutCurve.push([t + 1, greedyHoldoutUtility()]);
  }
  if ((t + 1) % 500 === 0) {
    const last = holdoutCurve[holdoutCurve.length - 1]?.[1] ?? Number.NaN;
    progress(
      `eval: ${t + 1}/${train.length} feedback events, λ ${(state.lambda.auto ?? 0).toFixed(3)}, ` +
        `holdout utility ${last.toFixed(4)}, cumulative regret ${regret.toFixed(1)}`,
    );
  }
}
const learnedRun: Summary = {
  name: 'learned',
  quality: learnedQ / train.length,
  cost: learnedC / train.length,
  utility: learnedU / train.length,
};
const finalGreedy = summarise('learned (greedy, final state)', train, (r) => {
  const d = route(
    routeRequestOf(r),
    { registry: greedyRegistry, health: HEALTH, learned: compiled },
    { now: NOW, random: () => 0.5 },
  );
  return modelOf(d.plan.primary.model);
});
const finalHoldout = holdoutCurve[holdoutCurve.length - 1]?.[1] ?? Number.NaN;
let convergedAt =
  holdoutCurve.length > 0 ? (holdoutCurve[holdoutCurve.length - 1] as [number, number])[0] : Number.NaN;
for (let i = holdoutCurve.length - 1; i >= 0; i--) {
  if (Math.abs((holdoutCurve[i] as [number, number])[1] - finalHoldout) > CONVERGED_WITHIN) break;
  convergedAt = (holdoutCurve[i] as [number, number])[0];
}

// ---- off-policy evaluation on the learned run's log ----
/** q̂(x, arm): the final state's estimate (prior + residual). */
const qHat = (x: number[], m: SimModel): number =>
  m.prior + armEstimate(compiled, compiled.arms.get(`${m.id}@v1`) ?? -1, x).residual;
function ope(name: string, choose: (l: Logged) => SimModel) {
  const samples: LoggedSample[] = log.map((l) => {
    const target = choose(l);
    return {
      reward: l.reward,
      propensity: l.propensity,
      target: target.id === l.chosen ? 1 : 0,
      modelLogged: qHat(l.x, modelOf(l.chosen)),
      modelTarget: qHat(l.x, target),
    };
  });
  const truth = log.reduce((a, l) => a + trueQuality(choose(l), l.request), 0) / log.length;
  return {
    name,
    truth,
    ips: ipsEstimate(samples),
    snips: snipsEstimate(samples),
    dr: doublyRobustEstimate(samples),
  };
}
const opeRows = [
  ope('learned greedy (final state)', (l) =>
    modelOf(
      route(
        l.routed,
        { registry: greedyRegistry, health: HEALTH, learned: compiled },
        { now: NOW, random: () => 0.5 },
      ).plan.primary.model,
    ),
  ),
  ope('only large', () => modelOf('large')),
  ope('only small', () => modelOf('small')),
];

// ---- report ----
const seconds = (performance.now() - started) / 1000;
const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
const rows = [
  ...singles,
  ...staticStrategies,
  random,
  bestStatic && { ...bestStatic, name: `best static = ${bestStatic.name}` },
  learnedRun,
  finalGreedy,
  oracle,
];
const retained = learnedRun.quality / bestSingle.quality;
const costShare = learnedRun.cost / bestSingle.cost;
const targets = {
  quality_retained: retained,
  cost_relative: costShare,
  beats_best_static: learnedRun.utility >= bestStatic.utility,
  converged_at_events: convergedAt,
  met:
    retained >= 0.95 && costShare <= 0.5 && learnedRun.utility >= bestStatic.utility && convergedAt <= 2000,
};
if (JSON_OUT) {
  for (const r of rows)
    console.log(
      JSON.stringify({
        name: `eval.policy`,
        policy: r.name,
        quality: r.quality,
        cost_usd: r.cost,
        utility: r.utility,
      }),
    );
  for (const o of opeRows)
    console.log(
      JSON.stringify({
        name: 'eval.ope',
        policy: o.name,
        truth: o.truth,
        ips: o.ips,
        snips: o.snips,
        dr: o.dr,
      }),
    );
  console.log(
    JSON.stringify({
      name: 'eval.targets',
      ...targets,
      lambda_star: lambdaStar,
      lambda: state.lambda.auto,
      explored_share: explored / train.length,
    }),
  );
} else {
  console.log(
    `\nLearned routing, offline evaluation: ${train.length} feedback events, seed ${SEED}, ${seconds.toFixed(1)} s`,
  );
  console.log(
    `objective: quality − λ·cost/dearest, quality floor ${QUALITY_FLOOR}; λ* (truth) ${lambdaStar.toFixed(3)}, learned λ ${(state.lambda.auto ?? 0).toFixed(3)}`,
  );
  console.log(`exploration cap ${EXPLORE}: explored ${pct(explored / train.length)} of decisions\n`);
  console.log(
    `${'policy'.padEnd(38)}${'quality'.padStart(9)}${'cost $'.padStart(11)}${'utility'.padStart(9)}${'q vs best'.padStart(11)}${'cost vs best'.padStart(14)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(38)}${r.quality.toFixed(4).padStart(9)}${r.cost.toFixed(6).padStart(11)}${r.utility.toFixed(4).padStart(9)}` +
        `${pct(r.quality / bestSingle.quality).padStart(11)}${pct(r.cost / bestSingle.cost).padStart(14)}`,
    );
  }
  console.log(
    `\nbest single model: ${bestSingle.name}; regret vs oracle over the run: ${regret.toFixed(1)} (${(regret / train.length).toFixed(4)} per event)`,
  );
  console.log(
    `converged (holdout utility within ${CONVERGED_WITHIN} of final ${finalHoldout.toFixed(4)}) after ${convergedAt} feedback events`,
  );
  console.log(
    `target ≥95 % quality at ≤50 % cost, ≥ best static, converged ≤2,000 events: ${targets.met ? 'MET' : 'NOT MET'} ` +
      `(${pct(retained)} quality, ${pct(costShare)} cost, utility ${learnedRun.utility.toFixed(4)} vs best static ${bestStatic.utility.toFixed(4)}, ${convergedAt} events)`,
  );
  console.log('\noff-policy evaluation on the learned run’s log (mean quality; 95 % CI):');
  for (const o of opeRows) {
    const ci = (e: typeof o.ips) => `${e.value.toFixed(4)} [${e.low.toFixed(4)}, ${e.high.toFixed(4)}]`;
    console.log(
      `  ${o.name.padEnd(30)} truth ${o.truth.toFixed(4)}  IPS ${ci(o.ips)} (eff. n ${o.ips.effective_n.toFixed(0)})  SNIPS ${ci(o.snips)}  DR ${ci(o.dr)}`,
    );
  }
}

mkdirSync(OUT, { recursive: true });
const file = join(OUT, 'learned-eval.svg');
const colors = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];
writeFileSync(
  file,
  plotSvg(
    {
      title: 'Cumulative regret vs the oracle',
      x: 'feedback events',
      y: 'cumulative regret (utility)',
      lines: [
        { name: 'learned', color: '#d62728', points: regretCurve },
        {
          name: `best static (${bestStatic.name})`,
          color: '#1f77b4',
          points: regretCurve.map(([n]) => [n, n * (oracle.utility - bestStatic.utility)] as const),
        },
        {
          name: 'random',
          color: '#7f7f7f',
          points: regretCurve.map(([n]) => [n, n * (oracle.utility - random.utility)] as const),
        },
      ],
    },
    {
      title: 'Cost and quality per policy',
      x: 'mean cost per request (USD)',
      y: 'mean quality',
      points: [...singles, random, learnedRun, oracle].map((r, i) => ({
        name: r.name.replace('only ', ''),
        x: r.cost,
        y: r.quality,
        color: r === learnedRun ? '#d62728' : (colors[i % colors.length] as string),
      })),
    },
  ),
);
progress(`eval: plot written to ${file}`);
