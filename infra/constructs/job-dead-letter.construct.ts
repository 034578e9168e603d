// The dead-letter consumer: fed by the job queues' shared dead-letter queue (batches, partial
// batch failures). A message lands there after the queues' maxReceiveCount failed deliveries;
// the consumer marks its job `dead-lettered` with the reason (only a job that never started),
// calls its webhook once, and acknowledges every message, unreadable ones included, so nothing
// loops. Grants: consume the dead-letter queue; get and update items in the jobs table.
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../app.config.ts';
import type { SharedLayers } from './shared-layers.construct.ts';
import { SwitchyardFunction } from './switchyard-function.construct.ts';
import { grantWebhookSecretRead } from './webhook-secrets.grant.ts';

export interface JobDeadLetterProps {
  readonly layers: SharedLayers;
  readonly deadLetterQueue: IQueue;
  readonly jobsTable: ITable;
  /** Tenants: the webhook of a job is signed with its tenant's secret. */
  readonly tenantsTable: ITable;
  /** The job queues' maxReceiveCount (quoted in the reason a job gets). */
  readonly maxReceiveCount: number;
  /**
   * Retention of the function's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export class JobDeadLetter extends Construct {
  public readonly function: SwitchyardFunction;
  public readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: JobDeadLetterProps) {
    super(scope, id);
    this.function = new SwitchyardFunction(this, 'Function', {
      entry: 'functions/dead-letter/dead-letter.handler.ts',
      layers: props.layers,
      description: 'Marks jobs whose queue message was dead-lettered, with the reason',
      memorySize: 256,
      timeout: Duration.seconds(10),
      logRetention: props.logRetention,
      environment: {
        [ENV.jobsTable]: props.jobsTable.tableName,
        [ENV.jobMaxReceiveCount]: String(props.maxReceiveCount),
        [ENV.tenantsTable]: props.tenantsTable.tableName,
      },
    });
    props.jobsTable.grant(this.function, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    grantWebhookSecretRead(props.tenantsTable, this.function);
    this.eventSource = new SqsEventSource(props.deadLetterQueue, {
      batchSize: 10,
      reportBatchItemFailures: true,
    });
    this.function.addEventSource(this.eventSource);
  }
}
