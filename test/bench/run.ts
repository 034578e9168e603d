// `npm run bench`: every benchmark, printed as a table, or as JSON lines with `--json`.
// `--only core`, `--only proxy`, `--only embeddings` or `--only budget` runs one part.
import { benchBudget } from './budget.bench.ts';
import { benchCore } from './core.bench.ts';
import { benchEmbeddings } from './embeddings.bench.ts';
import { benchProxy } from './proxy.bench.ts';
import { Reporter } from './reporter.ts';

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
if (!only || only === 'embeddings') {
  reporter.section('Embeddings: building the answer as floats and as base64, vs Buffer base64');
  await benchEmbeddings(reporter);
}
if (!only || only === 'budget') {
  reporter.section('Budgets: one tenant at 1,000 requests/s over many router containers (simulated)');
  await benchBudget(reporter);
}
