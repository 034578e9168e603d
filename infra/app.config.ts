// Settings shared by the CDK app's stacks and constructs: the repository root, the function
// environment contract (variable names every handler reads), and the few numbers two stacks
// must agree on (the worker timeout sizes the job queues' visibility timeout).
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';

/** Absolute path of the repository root (handler entries and layers are resolved from here). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The CDK context key naming the registry file (relative to the repository root). */
export const REGISTRY_FILE_CONTEXT = 'switchyard:registryFile';

/** CloudFormation Metadata keys on each AWS::Lambda::Function: the local stack binds handlers by them. */
export const FUNCTION_ENTRY_METADATA = 'switchyard:entry';
export const FUNCTION_HANDLER_METADATA = 'switchyard:handler';

/** Environment variable names: the contract between the CDK app, the handlers and the local stack. */
export const ENV = {
  registryTable: 'REGISTRY_TABLE',
  healthTable: 'HEALTH_TABLE',
  jobsTable: 'JOBS_TABLE',
  apiKeysTable: 'API_KEYS_TABLE',
  tenantsTable: 'TENANTS_TABLE',
  adminPrincipalArns: 'ADMIN_PRINCIPAL_ARNS',
  jobQueueHighUrl: 'JOB_QUEUE_HIGH_URL',
  jobQueueNormalUrl: 'JOB_QUEUE_NORMAL_URL',
  jobQueueLowUrl: 'JOB_QUEUE_LOW_URL',
  jobWorkflowArn: 'JOB_WORKFLOW_ARN',
  jobPriorityWaitMs: 'JOB_PRIORITY_WAIT_MS',
  jobMaxReceiveCount: 'JOB_MAX_RECEIVE_COUNT',
  rolloutsTable: 'ROLLOUTS_TABLE',
  budgetsTable: 'BUDGETS_TABLE',
  usageTable: 'USAGE_TABLE',
  decisionsTable: 'DECISIONS_TABLE',
  usagePlanNames: 'USAGE_PLAN_NAMES',
  usageExportBucket: 'USAGE_EXPORT_BUCKET',
  apiKeyCacheTtlMs: 'API_KEY_CACHE_TTL_MS',
  rolloutWorkflowArn: 'ROLLOUT_WORKFLOW_ARN',
  probeRounds: 'PROBE_ROUNDS',
  probeIntervalMs: 'PROBE_INTERVAL_MS',
  registryCacheTtlMs: 'REGISTRY_CACHE_TTL_MS',
  healthCacheTtlMs: 'HEALTH_CACHE_TTL_MS',
  maxBodyBytes: 'MAX_BODY_BYTES',
  jobMaxBodyBytes: 'JOB_MAX_BODY_BYTES',
  powertoolsServiceName: 'POWERTOOLS_SERVICE_NAME',
  powertoolsLogLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;

/**
 * Values every function gets the same way. They must not differ between functions: the local
 * stack runs all handlers in one process with one `process.env`, and refuses conflicting values.
 */
export const SHARED_ENV_DEFAULTS = {
  registryCacheTtlMs: '5000',
  healthCacheTtlMs: '2000',
  serviceName: 'switchyard',
  logLevel: 'INFO',
} as const;

/** The cache TTL variables of the functions that cache the registry and health (SHARED_ENV_DEFAULTS). */
export const CACHE_TTL_ENV: Readonly<Record<string, string>> = {
  [ENV.registryCacheTtlMs]: SHARED_ENV_DEFAULTS.registryCacheTtlMs,
  [ENV.healthCacheTtlMs]: SHARED_ENV_DEFAULTS.healthCacheTtlMs,
};

/** Job priorities, highest first: one SQS queue each. */
export const JOB_PRIORITIES = ['high', 'normal', 'low'] as const;
export type JobPriority = (typeof JOB_PRIORITIES)[number];

/** Queue URL variable per priority. */
export const JOB_QUEUE_URL_ENV: Readonly<Record<JobPriority, string>> = {
  high: ENV.jobQueueHighUrl,
  normal: ENV.jobQueueNormalUrl,
  low: ENV.jobQueueLowUrl,
};

/** The queue URL variable of every priority, for a function that uses the job queues. */
export function jobQueueUrlEnv(queues: Readonly<Record<JobPriority, IQueue>>): Record<string, string> {
  return Object.fromEntries(JOB_PRIORITIES.map((p) => [JOB_QUEUE_URL_ENV[p], queues[p].queueUrl]));
}

/** Numbers both stacks depend on. */
export interface SwitchyardSettings {
  /**
   * Timeout of the async worker (the SQS consumer).
   * @default Duration.seconds(30)
   */
  readonly workerTimeout: Duration;
  /**
   * How long the worker's event sources gather messages before invoking it.
   * @default Duration.seconds(1)
   */
  readonly workerBatchingWindow: Duration;
  /**
   * Receives of one message before SQS moves it to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount: number;
}

export const DEFAULT_SETTINGS: SwitchyardSettings = {
  workerTimeout: Duration.seconds(30),
  workerBatchingWindow: Duration.seconds(1),
  maxReceiveCount: 5,
};

/**
 * The job queues' visibility timeout: at least six times the worker's timeout plus its batching
 * window, as AWS recommends for Lambda event sources (a message is not redelivered while a
 * throttled or retried invocation may still be working on it).
 */
export function queueVisibilityTimeout(settings: SwitchyardSettings): Duration {
  return Duration.seconds(settings.workerTimeout.toSeconds() * 6 + settings.workerBatchingWindow.toSeconds());
}
