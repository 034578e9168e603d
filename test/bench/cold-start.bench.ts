// Cold start: the router's module init as Lambda does it. The layers and the router function are
// bundled the way `cdk synth` bundles them (esbuild, no Docker), laid out as on Lambda (function in
// task/, the layers' packages and the runtime's AWS SDK resolvable above it, NODE_OPTIONS as the
// function sets it), and imported in a fresh Node process, several times, beside a minimal
// handler bundled the same way. Reports the median and max import time of each and the router's
// excess over the minimal one.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { REPO_ROOT } from '../../infra/app.config.ts';
import { SharedLayers } from '../../infra/constructs/shared-layers.construct.ts';
import { SwitchyardFunction } from '../../infra/constructs/switchyard-function.construct.ts';
import { quantile, type Reporter } from './reporter.ts';

export interface ColdStartOptions {
  runs?: number;
}

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

function build(
  outdir: string,
  bundleAwsSdk: boolean,
): {
  root: string;
  router: string;
  minimal: string;
  env: Record<string, string>;
} {
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'ColdStart');
  const layers = new SharedLayers(stack, 'Layers', { bundleAwsSdk });
  new SwitchyardFunction(stack, 'Router', { entry: 'functions/router/router.handler.ts', layers });
  new SwitchyardFunction(stack, 'Minimal', { entry: 'test/bench/fixtures/minimal.handler.ts', layers });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
  const asset = (r: Resource | undefined) => join(outdir, String(r?.Metadata?.['aws:asset:path']));
  const byPrefix = (prefix: string) =>
    Object.entries(resources).find(
      ([id, r]) => id.startsWith(prefix) && r.Metadata?.['aws:asset:path'] !== undefined,
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
  cpSync(asset(byPrefix('Router')), join(root, 'router'), { recursive: true });
  cpSync(asset(byPrefix('Minimal')), join(root, 'minimal'), { recursive: true });
  const fnEnv = ((byPrefix('Router')?.Properties?.Environment as { Variables?: Record<string, unknown> })
    ?.Variables ?? {}) as Record<string, unknown>;
  const env = Object.fromEntries(
    Object.entries(fnEnv).filter(([, v]) => typeof v === 'string') as Array<[string, string]>,
  );
  return { root, router: join(root, 'router/index.mjs'), minimal: join(root, 'minimal/index.mjs'), env };
}

/** Milliseconds to import `file` in a fresh Node process. */
function importMs(file: string, env: Record<string, string>): number {
  const url = JSON.stringify(pathToFileURL(file).href);
  const out = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const t0 = performance.now(); await import(${url}); process.stdout.write(String(performance.now() - t0));`,
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
  return Number(out);
}

export async function benchColdStart(reporter: Reporter, options: ColdStartOptions = {}): Promise<void> {
  const runs = options.runs ?? Number(process.env.SWITCHYARD_BENCH_RUNS ?? 7);
  const outdir = mkdtempSync(join(tmpdir(), 'switchyard-coldstart-'));
  try {
    // The shipped layout (SDK clients bundled into the adapters layer) and the runtime-SDK one.
    const bundled = build(join(outdir, 'bundled'), true);
    const runtimeSdk = build(join(outdir, 'runtime-sdk'), false);
    const targets = {
      minimal: { file: bundled.minimal, env: bundled.env },
      router: { file: bundled.router, env: bundled.env },
      'router.runtime-sdk': { file: runtimeSdk.router, env: runtimeSdk.env },
    };
    const samples: Record<string, number[]> = { minimal: [], router: [], 'router.runtime-sdk': [] };
    // Interleaved, so all see the same machine load; one unmeasured run each warms the disk cache.
    for (const t of Object.values(targets)) importMs(t.file, { ...ROUTER_ENV, ...t.env });
    for (let i = 0; i < runs; i++) {
      for (const [name, t] of Object.entries(targets))
        samples[name]?.push(importMs(t.file, { ...ROUTER_ENV, ...t.env }));
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
  } finally {
    if (process.env.SWITCHYARD_BENCH_KEEP) process.stderr.write(`kept ${outdir}\n`);
    else rmSync(outdir, { recursive: true, force: true });
  }
}
