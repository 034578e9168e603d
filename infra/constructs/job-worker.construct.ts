// The async worker: fed by the three priority job queues (batches, partial batch failures), it
// records each job's state and starts one workflow execution per job.
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV, JOB_PRIORITIES, type JobPriority } from '../app.config.ts';
import type { SharedLayers } from './shared-layers.construct.ts';
import { SwitchyardFunction } from './switchyard-function.construct.ts';

export interface JobWorkerProps {
  readonly layers: SharedLayers;
  /** The job queue per priority. */
  readonly queues: Readonly<Record<JobPriority, IQueue>>;
  readonly jobsTable: ITable;
  readonly workflow: IStateMachine;
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
    this.function = new SwitchyardFunction(this, 'Function', {
      entry: 'functions/worker/worker.handler.ts',
      layers: props.layers,
      description: 'Takes job messages from SQS and starts a workflow execution per job',
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: 256,
      logRetention: props.logRetention,
      environment: {
        [ENV.jobsTable]: props.jobsTable.tableName,
        [ENV.jobWorkflowArn]: props.workflow.stateMachineArn,
      },
    });
    props.jobsTable.grantReadWriteData(this.function);
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
