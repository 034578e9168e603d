// `npm run bench`: every benchmark, printed as a table, or as JSON lines with `--json`.
// `--only core`, `--only proxy`, `--only stream`, `--only embeddings`, `--only budget`,
// `--only coldstart`, `--only overhead`, `--only features`, `--only pii` or `--only affinity` runs one part.
import { benchAffinity } from './affinity.bench.ts';
import { benchBudget } from './budget.bench.ts';
import { benchColdStart } from './cold-start.bench.ts';
import { benchCore } from './core.bench.ts';
import { benchEmbeddings } from './embeddings.bench.ts';
import { benchFeatures } from './features.bench.ts';
import { benchOverhead } from './overhead.bench.ts';
import { benchPii } from './pii.bench.ts';
import { benchProxy } from './proxy.bench.ts';
import { Reporter } from './reporter.ts';
import { benchStream } from './stream.bench.ts';

const args = process.argv.slice(2);
const reporter = new Reporter(args.includes('--json'));
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

if (!only || only === 'core') {
  reporter.section('Routing core: decision time and p2c vs round robin');
  await benchCore(reporter);
}
if (!only || only === 'proxy') {
  reporter.section('Proxy: direct to a zero-latency upstream vs through Switchyard (local stack)');
  await benchProxy(reporter);
}
if (!only || only === 'stream') {
  reporter.section(
    'Streaming: TTFT and total time, direct vs through Switchyard vs Portkey (one streaming mock)',
  );
  await benchStream(reporter);
}
if (!only || only === 'embeddings') {
  reporter.section('Embeddings: building the answer as floats and as base64, vs Buffer base64');
  await benchEmbeddings(reporter);
}
if (!only || only === 'budget') {
  reporter.section('Budgets: one tenant at 1,000 requests/s over many router containers (simulated)');
  await benchBudget(reporter);
}
if (!only || only === 'coldstart') {
  reporter.section(
    'Cold start: router module init (synthesized bundle and layers, fresh process) vs a minimal handler',
  );
  await benchColdStart(reporter);
}
if (!only || only === 'overhead') {
  reporter.section('Handler overhead: the router in-process, API Gateway event, zero-latency upstream');
  await benchOverhead(reporter);
}
if (!only || only === 'features') {
  reporter.section('Request understanding: feature extraction per request (1 KB, 10 KB, 100 KB prompts)');
  await benchFeatures(reporter);
}
if (!only || only === 'pii') {
  reporter.section('Personal data: detection per request (scan, with features, redact + restore)');
  await benchPii(reporter);
}
if (!only || only === 'affinity') {
  reporter.section(
    'Conversation affinity: multi-turn chat over 8 replicas, with and without affinity (simulated)',
  );
  await benchAffinity(reporter);
}
