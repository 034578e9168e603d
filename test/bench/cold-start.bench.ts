// Cold start: the router's module init as Lambda does it. The layers and the router function are
// bundled the way `cdk synth` bundles them (esbuild, no Docker), laid out as on Lambda (function in
// task/, the layers' packages and the runtime's AWS SDK resolvable above it, each function's own
// environment, NODE_OPTIONS included), and imported in a fresh Node process, several times, beside
// a minimal handler bundled the same way. Three builds of the router side by side: as shipped
// (self-contained: core, adapters and SDK clients bundled and tree-shaken, no runtime source
// maps), the same with the runtime's AWS SDK, and as it was shipped before (the two layers, the
// SDK clients bundled in the adapters layer, `--enable-source-maps`). Reports the median and max
// import time of each, the router's excess over the minimal one and its target (150 ms). The core's
// schemas are built on first use (z.lazy), not at import: a probe bundle reports what the first
// parse of a chat request and of a registry then costs, against the second, in fresh processes.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildSync } from 'esbuild';
import { REPO_ROOT } from '../../infra/app.config.ts';
import { SharedLayers } from '../../infra/constructs/shared-layers.construct.ts';
import {
  SwitchyardFunction,
  type SwitchyardFunctionProps,
} from '../../infra/constructs/switchyard-function.construct.ts';
import { quantile, type Reporter } from './reporter.ts';

export interface ColdStartOptions {
  runs?: number;
}

/** The target for the shipped router's module init on this machine. */
export const ROUTER_INIT_TARGET_MS = 150;

type Resource = { Type: string; Metadata?: Record<string, unknown>; Properties?: Record<string, unknown> };

/** Environment the router's config needs, with dummy values (no AWS is called at import). */
const ROUTER_ENV: Record<string, string> = {
  REGISTRY_TABLE: 'bench-registry',
  HEALTH_TABLE: 'bench-health',
  TENANTS_TABLE: 'bench-tenants',
  BUDGETS_TABLE: 'bench-budgets',
  USAGE_TABLE: 'bench-usage',
  API_KEYS_TABLE: 'bench-keys',
  JOBS_TABLE: 'bench-jobs',
};

const ROUTER_ENTRY = 'functions/router/router.handler.ts';

/** The builds measured: the construct's props beyond entry and layers. */
const TARGETS: Record<string, Omit<SwitchyardFunctionProps, 'layers'>> = {
  minimal: { entry: 'test/bench/fixtures/minimal.handler.ts' },
  router: { entry: ROUTER_ENTRY, selfContained: true, runtimeSourceMaps: false },
  'router.runtime-sdk': {
    entry: ROUTER_ENTRY,
    selfContained: true,
    bundleAwsSdk: false,
    runtimeSourceMaps: false,
  },
  'router.layered': { entry: ROUTER_ENTRY },
};

interface Built {
  file: string;
  env: Record<string, string>;
}

function build(outdir: string): Record<string, Built> {
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'ColdStart');
  const layers = new SharedLayers(stack, 'Layers');
  const ids = Object.entries(TARGETS).map(([name, props]) => {
    const id = `Fn${name.replace(/[^a-z]/gi, '')}`;
    new SwitchyardFunction(stack, id, { ...props, layers });
    return [name, id] as const;
  });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
  const asset = (r: Resource | undefined) => join(outdir, String(r?.Metadata?.['aws:asset:path']));
  const byPrefix = (prefix: string) =>
    Object.entries(resources).find(
      ([id, r]) => id.replace(/[0-9A-F]{8}$/, '') === prefix && r.Metadata?.['aws:asset:path'] !== undefined,
    )?.[1];
  const root = join(outdir, 'lambda');
  mkdirSync(join(root, 'node_modules'), { recursive: true });
  for (const layer of ['LayersCore', 'LayersAdapters']) {
    cpSync(join(asset(byPrefix(layer)), 'nodejs/node_modules'), join(root, 'node_modules'), {
      recursive: true,
    });
  }
  // The runtime's AWS SDK v3, as Lambda's Node.js runtime provides it.
  symlinkSync(join(REPO_ROOT, 'node_modules/@aws-sdk'), join(root, 'node_modules/@aws-sdk'));
  symlinkSync(join(REPO_ROOT, 'node_modules/@smithy'), join(root, 'node_modules/@smithy'));
  const built: Record<string, Built> = {};
  for (const [name, id] of ids) {
    const fn = byPrefix(id);
    cpSync(asset(fn), join(root, id), { recursive: true });
    const vars = ((fn?.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables ??
      {}) as Record<string, unknown>;
    const env = Object.fromEntries(
      Object.entries(vars).filter(([, v]) => typeof v === 'string') as Array<[string, string]>,
    );
    built[name] = { file: join(root, id, 'index.mjs'), env };
  }
  return built;
}

/** Milliseconds to import `file` in a fresh Node process, and the process's resident memory (MB) after it. */
function importMs(file: string, env: Record<string, string>): { ms: number; rssMb: number } {
  const url = JSON.stringify(pathToFileURL(file).href);
  const out = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      // Lambda's Node.js runtime provides the \`awslambda\` global before the handler loads; the
      // router is streamified (middy's executionModeStreamifyResponse reads it at import).
      `globalThis.awslambda = { streamifyResponse: (f) => f, HttpResponseStream: { from: (s) => s } }; const t0 = performance.now(); await import(${url}); const ms = performance.now() - t0; process.stdout.write(JSON.stringify({ ms, rssMb: process.memoryUsage().rss / 2 ** 20 }));`,
    ],
    {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
        POWERTOOLS_METRICS_DISABLED: 'false',
        ...env,
      },
    },
  );
  return JSON.parse(out) as { ms: number; rssMb: number };
}

/** First and second parse (ms) of a chat request and a registry in a fresh process (fixtures/first-parse.probe.ts). */
function firstUse(outdir: string, runs: number): Record<string, number[]> {
  const file = join(outdir, 'first-parse.mjs');
  buildSync({
    entryPoints: [join(REPO_ROOT, 'test/bench/fixtures/first-parse.probe.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    outfile: file,
    logLevel: 'error',
  });
  const out: Record<string, number[]> = {};
  for (let i = 0; i < runs; i++) {
    const probe = JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8' })) as Record<
      string,
      number
    >;
    for (const [k, v] of Object.entries(probe)) out[k] = [...(out[k] ?? []), v];
  }
  return out;
}

export async function benchColdStart(reporter: Reporter, options: ColdStartOptions = {}): Promise<void> {
  const runs = options.runs ?? Number(process.env.SWITCHYARD_BENCH_RUNS ?? 7);
  const outdir = mkdtempSync(join(tmpdir(), 'switchyard-coldstart-'));
  try {
    const targets = build(outdir);
    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(targets).map((n) => [n, []]));
    const rss: Record<string, number[]> = Object.fromEntries(Object.keys(targets).map((n) => [n, []]));
    const measure = (t: Built) => importMs(t.file, { ...ROUTER_ENV, ...t.env });
    // Interleaved, so all see the same machine load; one unmeasured run each warms the disk cache.
    for (const t of Object.values(targets)) measure(t);
    for (let i = 0; i < runs; i++) {
      for (const [name, t] of Object.entries(targets)) {
        const { ms, rssMb } = measure(t);
        samples[name]?.push(ms);
        rss[name]?.push(rssMb);
      }
    }
    const median = (s: number[]) => quantile(s, 0.5);
    const m = (name: string) => median(samples[name] ?? []);
    for (const [name, s] of Object.entries(samples)) {
      reporter.report({
        name: `coldstart.${name}.init`,
        unit: 'ms',
        value: Number(median(s).toFixed(1)),
        max: Number(Math.max(...s).toFixed(1)),
        runs,
        vs_minimal: Number((median(s) / m('minimal')).toFixed(1)),
        rss_mb: Number(median(rss[name] ?? []).toFixed(0)),
        ...(name === 'router'
          ? { target: ROUTER_INIT_TARGET_MS, met: median(s) <= ROUTER_INIT_TARGET_MS }
          : {}),
      });
    }
    reporter.report({
      name: 'coldstart.router.excess_over_minimal',
      unit: 'ms',
      value: Number((m('router') - m('minimal')).toFixed(1)),
    });
    reporter.report({
      name: 'coldstart.router.bundled_sdk_speedup',
      unit: 'x',
      value: Number((m('router.runtime-sdk') / m('router')).toFixed(2)),
    });
    reporter.report({
      name: 'coldstart.router.speedup_vs_layered',
      unit: 'x',
      value: Number((m('router.layered') / m('router')).toFixed(2)),
    });
    const first = firstUse(outdir, runs);
    const fm = (k: string) => Number(median(first[k] ?? []).toFixed(2));
    reporter.report({
      name: 'coldstart.schemas.first_chat_parse',
      unit: 'ms',
      value: fm('chatFirst'),
      second_ms: fm('chatSecond'),
      first_registry_parse_ms: fm('registryFirst'),
      second_registry_parse_ms: fm('registrySecond'),
      runs,
      includes: 'building the lazy chat schema on first use, paid by the first chat request after init',
    });
  } finally {
    if (process.env.SWITCHYARD_BENCH_KEEP) process.stderr.write(`kept ${outdir}\n`);
    else rmSync(outdir, { recursive: true, force: true });
  }
}
