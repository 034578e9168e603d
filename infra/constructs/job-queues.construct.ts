// The async job queues: one SQS queue per priority (high, normal, low) and one dead-letter
// queue they share. SSE with SQS-managed keys, TLS enforced, and a visibility timeout sized
// from the worker's timeout so a message is never redelivered while it may still be in work.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { JOB_PRIORITIES, type JobPriority } from '../app.config.ts';

export interface JobQueuesProps {
  /**
   * Visibility timeout of the job queues: at least six times the worker's timeout
   * (see `queueVisibilityTimeout` in app.config.ts).
   */
  readonly visibilityTimeout: Duration;
  /**
   * Receives of one message before it moves to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * How long a message waits in a job queue before SQS drops it.
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;
  /**
   * How long dead-lettered messages are kept for inspection and redrive.
   * @default Duration.days(14)
   */
  readonly deadLetterRetentionPeriod?: Duration;
}

export class JobQueues extends Construct {
  /** The queue per priority, highest first. */
  public readonly byPriority: Readonly<Record<JobPriority, Queue>>;
  public readonly high: Queue;
  public readonly normal: Queue;
  public readonly low: Queue;
  /** The dead-letter queue all three share. */
  public readonly deadLetter: Queue;
  public readonly maxReceiveCount: number;

  constructor(scope: Construct, id: string, props: JobQueuesProps) {
    super(scope, id);
    this.maxReceiveCount = props.maxReceiveCount ?? 5;
    if (!Number.isInteger(this.maxReceiveCount) || this.maxReceiveCount < 1 || this.maxReceiveCount > 1000) {
      throw new Error(
        `JobQueues: maxReceiveCount must be an integer from 1 to 1000, got ${this.maxReceiveCount}`,
      );
    }
    const secure = {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
    } as const;

    this.deadLetter = new Queue(this, 'DeadLetter', {
      ...secure,
      // The dead-letter consumer's timeout (10 s) times six, as for any Lambda event source.
      visibilityTimeout: Duration.seconds(60),
      retentionPeriod: props.deadLetterRetentionPeriod ?? Duration.days(14),
    });
    const make = (priority: JobPriority): Queue =>
      new Queue(this, `${priority[0]?.toUpperCase()}${priority.slice(1)}`, {
        ...secure,
        visibilityTimeout: props.visibilityTimeout,
        retentionPeriod: props.retentionPeriod ?? Duration.days(4),
        deadLetterQueue: { queue: this.deadLetter, maxReceiveCount: this.maxReceiveCount },
      });
    const [high, normal, low] = JOB_PRIORITIES.map(make) as [Queue, Queue, Queue];
    this.high = high;
    this.normal = normal;
    this.low = low;
    this.byPriority = { high, normal, low };
  }
}
