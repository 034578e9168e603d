// The async worker: fed by the three priority job queues (batches, partial batch failures), it
// starts one workflow execution per job (named by the job id) and records it on the job row
// before any message is acknowledged.
//
// Priority, high before normal before low. Lambda polls each queue's event source on its own, so
// weighting their concurrency would only share capacity, not order it. Instead one worker path
// serves all three, and a batch from a lower queue yields first: it receives from the higher
// queues itself (highest first) and starts those jobs, deleting each message after its job
// started; then it waits until each higher queue has nothing visible and nothing in flight (every
// higher message anyone received has been started and acknowledged); only then does it start its
// own batch. The wait is bounded by JOB_PRIORITY_WAIT_MS (at most the worker timeout less 10 s,
// and far below the queues' visibility timeout, so a waiting batch is never redelivered), so
// lower priorities slow down under sustained higher load but are never starved. SQS's message
// counts are approximate (eventually consistent, for about a minute), so in AWS the order is
// best-effort within that bound; locally it is exact, and the e2e suite proves it. The worker thus
// consumes all three queues (ReceiveMessage, DeleteMessage, GetQueueAttributes) and sends nothing.
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV, JOB_PRIORITIES, type JobPriority, jobQueueUrlEnv } from '../app.config.ts';
import type { SharedLayers } from './shared-layers.construct.ts';
import { SwitchyardFunction } from './switchyard-function.construct.ts';

export interface JobWorkerProps {
  readonly layers: SharedLayers;
  /** The job queue per priority. */
  readonly queues: Readonly<Record<JobPriority, IQueue>>;
  readonly jobsTable: ITable;
  readonly workflow: IStateMachine;
  /**
   * Longest a lower-priority batch yields to the higher queues.
   * @default Duration.seconds(15), and never more than the timeout less 10 s
   */
  readonly priorityWait?: Duration;
  /**
   * Timeout of one batch; the queues' visibility timeout must be at least six times this.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Messages per invocation.
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * How long the event source gathers messages before invoking.
   * @default Duration.seconds(1)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Retention of the function's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export class JobWorker extends Construct {
  public readonly function: SwitchyardFunction;
  /** The event source per priority. */
  public readonly eventSources: Readonly<Record<JobPriority, SqsEventSource>>;

  constructor(scope: Construct, id: string, props: JobWorkerProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.seconds(30);
    const priorityWaitMs = Math.max(
      0,
      Math.min(
        (props.priorityWait ?? Duration.seconds(15)).toMilliseconds(),
        timeout.toMilliseconds() - 10_000,
      ),
    );
    this.function = new SwitchyardFunction(this, 'Function', {
      entry: 'functions/worker/worker.handler.ts',
      layers: props.layers,
      description: 'Takes job messages from SQS and starts a workflow execution per job',
      timeout,
      memorySize: 256,
      logRetention: props.logRetention,
      environment: {
        [ENV.jobsTable]: props.jobsTable.tableName,
        [ENV.jobWorkflowArn]: props.workflow.stateMachineArn,
        [ENV.jobPriorityWaitMs]: String(priorityWaitMs),
        ...jobQueueUrlEnv(props.queues),
      },
    });
    // Read the job, then one conditional update (queued -> running, execution ARN).
    props.jobsTable.grant(this.function, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    props.workflow.grantStartExecution(this.function);

    const sources = {} as Record<JobPriority, SqsEventSource>;
    for (const priority of JOB_PRIORITIES) {
      const source = new SqsEventSource(props.queues[priority], {
        batchSize: props.batchSize ?? 10,
        maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(1),
        reportBatchItemFailures: true,
      });
      this.function.addEventSource(source);
      sources[priority] = source;
    }
    this.eventSources = sources;
  }
}
