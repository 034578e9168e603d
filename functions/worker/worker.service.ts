// The async worker over ports: starts one workflow execution per job message and says which
// messages of its batch failed (partial batch failures). A message counts as done only once the
// job's execution has started (named by the job id: a redelivered or duplicated message finds the
// execution, running or finished, and starts nothing new) AND the job row records it
// (queued -> running with the execution ARN). A message for a job that is already final is done.
//
// Priority (high before normal before low). Each queue has its own event source, and Lambda polls
// them independently, so a batch from a lower queue yields before it starts anything:
//   1. drain: receive from each higher queue (highest first) and start those jobs, deleting each
//      message only after its job started (what failed stays and comes back after the
//      visibility timeout);
//   2. wait: until every higher queue shows nothing visible and nothing in flight, i.e. every
//      higher-priority message anyone received has been started and acknowledged (in-flight
//      messages are held by other invocations that are starting them);
//   3. then start the batch's own jobs.
// High batches never wait; normal waits only on high; low on both: no cycle. The wait is bounded
// (`priorityWaitMs`, and never past the time the batch itself needs), so a lower priority slows
// under sustained higher-priority load but is never starved, and a message stuck in flight in a
// higher queue (e.g. a failed start awaiting its redelivery) delays the others by at most that.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { JobMessageSource, JobPriority, JobStatus, JobStore, WorkflowStarter } from '@switchyard/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

/** Priorities, highest first. */
export const PRIORITIES: readonly JobPriority[] = ['high', 'normal', 'low'];
const FINAL: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'dead-lettered']);
/** Time kept back for the batch's own starts when deciding how long to yield. */
export const OWN_BATCH_RESERVE_MS = 10_000;

export interface WorkerDeps {
  starter: WorkflowStarter;
  jobs: Pick<JobStore, 'get' | 'markStarted'>;
  queues: JobMessageSource;
  /** The priority of the queue with this ARN (the records' eventSourceARN). */
  priorityOf: (queueArn: string) => JobPriority | undefined;
  logger: Pick<Logger, 'warn' | 'info'>;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Longest a lower-priority batch yields to the higher queues. */
  priorityWaitMs: number;
  /** Pause between backlog checks while yielding. */
  pollMs: number;
}

/** Handles one batch from one queue; `remainingMs` is the invocation's time left. */
export async function handleBatch(
  deps: WorkerDeps,
  event: SQSEvent,
  remainingMs: () => number,
): Promise<SQSBatchResponse> {
  const arn = event.Records[0]?.eventSourceARN ?? '';
  const priority = deps.priorityOf(arn);
  if (!priority && event.Records.length > 0) deps.logger.warn('batch from an unknown queue', { queue: arn });
  const higher = PRIORITIES.slice(0, PRIORITIES.indexOf(priority ?? 'high'));
  if (higher.length > 0) {
    const budget = Math.min(deps.priorityWaitMs, remainingMs() - OWN_BATCH_RESERVE_MS);
    if (budget > 0) await yieldToHigher(deps, higher, deps.now() + budget);
  }
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      if (!(await startJob(deps, record.body, record.messageId))) {
        failures.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  return { batchItemFailures: failures };
}

/** Drains and waits for the higher queues until they are clear or the deadline passes. */
export async function yieldToHigher(
  deps: WorkerDeps,
  higher: readonly JobPriority[],
  deadline: number,
): Promise<'clear' | 'deadline'> {
  for (;;) {
    for (const priority of higher) await drain(deps, priority, deadline);
    const backlogs = await Promise.all(higher.map((p) => deps.queues.backlog(p)));
    if (backlogs.every((b) => b.visible === 0 && b.in_flight === 0)) return 'clear';
    if (deps.now() >= deadline) {
      deps.logger.info('higher-priority queues still busy; starting this batch anyway', {
        backlogs: Object.fromEntries(higher.map((p, i) => [p, backlogs[i]])),
      });
      return 'deadline';
    }
    if (backlogs.some((b) => b.visible > 0)) continue;
    await deps.sleep(deps.pollMs);
  }
}

async function drain(deps: WorkerDeps, priority: JobPriority, deadline: number): Promise<void> {
  while (deps.now() < deadline) {
    const messages = await deps.queues.receive(priority, 10);
    if (messages.length === 0) return;
    const started = await Promise.all(
      messages.map(async (m) => ((await startJob(deps, m.body, m.message_id)) ? m.receipt : undefined)),
    );
    const done = started.filter((r): r is string => r !== undefined);
    if (done.length > 0) await deps.queues.delete(priority, done);
  }
}

/** Starts the job a message names; true when the message may be acknowledged. */
async function startJob(deps: WorkerDeps, body: string, messageId: string): Promise<boolean> {
  try {
    const jobId = jobIdOf(body);
    const job = await deps.jobs.get(jobId);
    if (!job) throw new Error(`job ${jobId} does not exist`);
    if (FINAL.has(job.status)) return true;
    const { execution_arn } = await deps.starter.start(job.id, { job_id: job.id, tenant: job.tenant });
    await deps.jobs.markStarted(job.id, execution_arn);
    return true;
  } catch (err) {
    deps.logger.warn('could not start job', { message_id: messageId, error: String(err) });
    return false;
  }
}

/** The job id of a message body `{"job_id": "...", ...}`; throws on anything else. */
export function jobIdOf(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error('message body is not JSON');
  }
  const id = (parsed as { job_id?: unknown } | null)?.job_id;
  if (typeof id !== 'string' || id === '' || id.length > 128) throw new Error('message has no job_id');
  return id;
}

/** `priorityOf` for queue URLs: a queue's ARN and URL end with the same queue name. */
export function priorityByQueueName(
  queueUrls: Readonly<Record<JobPriority, string>>,
): (queueArn: string) => JobPriority | undefined {
  const byName = new Map(PRIORITIES.map((p) => [queueUrls[p].split('/').pop() ?? '', p]));
  return (queueArn) => byName.get(queueArn.split(':').pop() ?? '');
}
