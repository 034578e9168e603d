// `npm start`: the whole stack on this machine. Prints the URL and the local keys, and writes
// them to .switchyard/local.env for shells (local-env.ts); Ctrl-C (SIGINT or SIGTERM) stops every
// server cleanly and removes that file.
import { relative } from 'node:path';
import * as z from 'zod';
import { startFeedbackSimulator } from './feedback-simulator.ts';
import { type LocalEnv, removeLocalEnv, writeLocalEnv } from './local-env.ts';
import { LOCAL_TENANT, REPO_ROOT, startLocalStack } from './local-stack.ts';

const env = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65_535).default(4000),
    HOST: z.string().default('127.0.0.1'),
    SWITCHYARD_API_KEY: z.string().min(8).optional(),
    SWITCHYARD_ADMIN_KEY: z.string().min(8).optional(),
    SWITCHYARD_WEBHOOK_SECRET: z.string().min(16).optional(),
    SWITCHYARD_REGISTRY: z.string().optional(),
    SWITCHYARD_LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).default('INFO'),
    SWITCHYARD_HEALTH_INTERVAL_MS: z.coerce.number().int().positive().optional(),
    /** How often the learned router is refit from feedback (the EventBridge schedule's local timer). */
    SWITCHYARD_REFIT_INTERVAL_MS: z.coerce.number().int().positive().default(60_000),
    SWITCHYARD_USAGE_PLAN: z.enum(['on', 'off']).default('on'),
  })
  .safeParse(process.env);
if (!env.success) {
  console.error(
    `switchyard: bad environment: ${env.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
  );
  process.exit(2);
}
const config = env.data;

const stack = await startLocalStack({
  port: config.PORT,
  host: config.HOST,
  logLevel: config.SWITCHYARD_LOG_LEVEL,
  ...(config.SWITCHYARD_API_KEY ? { apiKey: config.SWITCHYARD_API_KEY } : {}),
  ...(config.SWITCHYARD_ADMIN_KEY ? { adminKey: config.SWITCHYARD_ADMIN_KEY } : {}),
  ...(config.SWITCHYARD_WEBHOOK_SECRET ? { webhookSecret: config.SWITCHYARD_WEBHOOK_SECRET } : {}),
  ...(config.SWITCHYARD_REGISTRY ? { registryFile: config.SWITCHYARD_REGISTRY } : {}),
  usagePlan: config.SWITCHYARD_USAGE_PLAN === 'on',
  ...(config.SWITCHYARD_HEALTH_INTERVAL_MS
    ? { scheduleIntervalMs: config.SWITCHYARD_HEALTH_INTERVAL_MS }
    : {}),
  scheduleIntervals: { LearnedRefit: config.SWITCHYARD_REFIT_INTERVAL_MS },
  onError: (err) =>
    console.error(`switchyard: background error: ${err instanceof Error ? err.message : String(err)}`),
}).catch((err: unknown) => {
  console.error(`switchyard: could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

// `npm start -- --simulate-feedback`: traffic on `auto`, scored by the hidden `local.quality`.
const simulator = process.argv.includes('--simulate-feedback')
  ? startFeedbackSimulator({
      url: stack.url,
      key: stack.apiKey,
      quality: stack.local.quality,
      random: Math.random,
      onError: (err) =>
        console.error(`switchyard: feedback simulator: ${err instanceof Error ? err.message : String(err)}`),
    })
  : undefined;

const shellEnv: LocalEnv = {
  URL: stack.url,
  KEY: stack.apiKey,
  ADMIN_KEY: stack.adminKey,
  WEBHOOK_SECRET: stack.webhookSecret,
};
const envFile = writeLocalEnv(REPO_ROOT, shellEnv);

const keySource = config.SWITCHYARD_API_KEY
  ? 'from SWITCHYARD_API_KEY'
  : 'generated; set SWITCHYARD_API_KEY to fix it';
const adminSource = config.SWITCHYARD_ADMIN_KEY
  ? 'from SWITCHYARD_ADMIN_KEY'
  : 'generated; set SWITCHYARD_ADMIN_KEY to fix it';
const secretSource = config.SWITCHYARD_WEBHOOK_SECRET
  ? 'from SWITCHYARD_WEBHOOK_SECRET'
  : 'generated; set SWITCHYARD_WEBHOOK_SECRET to fix it';
console.log(`
Switchyard local stack ready in ${stack.timings.ready} ms
  API          ${stack.url}/v1            (OpenAI-compatible)
  tenant       ${LOCAL_TENANT.id} (${LOCAL_TENANT.name}), ${LOCAL_TENANT.plan} plan, budget $${LOCAL_TENANT.budget?.limit_usd} a ${LOCAL_TENANT.budget?.period}: GET ${stack.url}/admin/tenants/${LOCAL_TENANT.id}
  API key      ${stack.apiKey}   (${keySource})
  admin key    ${stack.adminKey}   (${adminSource})
  webhooks     signed with ${stack.webhookSecret}   (tenant local's secret, ${secretSource})
  dashboard    ${stack.url}/_local/dashboard
  endpoints    ${stack.sim.list().length} simulated: GET ${stack.url}/_local/endpoints
  faults       POST ${stack.url}/_local/endpoints/{id}/fault  {"mode":"down"|"error"|"slow"|"ok"}
  shell        source ${relative(process.cwd(), envFile)}   (exports URL, KEY, ADMIN_KEY, WEBHOOK_SECRET)

  source ${relative(process.cwd(), envFile)}
  curl $URL/v1/chat/completions \\
    -H "Authorization: Bearer $KEY" -H "content-type: application/json" \\
    -d '{"model":"auto","messages":[{"role":"user","content":"Hello"}]}'

  curl $URL/v1/jobs -H "Authorization: Bearer $KEY" -H "content-type: application/json" \\
    -d '{"model":"auto","messages":[{"role":"user","content":"Later"}],"priority":"high"}'

  curl $URL/admin/health -H "Authorization: Bearer $ADMIN_KEY"

  curl $URL/v1/usage?group_by=model -H "Authorization: Bearer $KEY"

Ctrl-C stops everything.
`);

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) {
    console.error(`switchyard: ${signal} again, exiting now`);
    process.exit(130);
  }
  stopping = true;
  console.log(`switchyard: ${signal}, stopping...`);
  removeLocalEnv(envFile, shellEnv);
  simulator?.stop();
  stack.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`switchyard: error while stopping: ${String(err)}`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGHUP', () => shutdown('SIGHUP'));
// If whatever started us (npm) is gone without passing a signal on, stop rather than linger.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) shutdown('parent exited');
}, 1000).unref();
