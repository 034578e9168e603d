// The daily usage export: a function on an EventBridge schedule (00:30 UTC, yesterday's records)
// that writes JSON lines to the usage archive. Grants: Query on the usage table; Scan of the
// tenants table limited to the profile attributes (never the webhook secret); PutObject under
// `usage/` in the archive bucket; nothing else.
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { TENANTS_TABLE } from '../../layers/adapters/src/tables.ts';
import { ENV } from '../app.config.ts';
import type { SharedLayers } from './shared-layers.construct.ts';
import { SwitchyardFunction } from './switchyard-function.construct.ts';

export interface UsageExportProps {
  readonly layers: SharedLayers;
  readonly usageTable: ITable;
  readonly tenantsTable: ITable;
  /** The usage archive bucket. */
  readonly bucket: IBucket;
  /**
   * When the export runs (it exports the previous UTC day).
   * @default Schedule.cron({ minute: '30', hour: '0' }) (00:30 UTC daily)
   */
  readonly schedule?: Schedule;
  /**
   * Timeout of one run.
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the function's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export class UsageExport extends Construct {
  public readonly function: SwitchyardFunction;
  public readonly rule: Rule;

  constructor(scope: Construct, id: string, props: UsageExportProps) {
    super(scope, id);
    this.function = new SwitchyardFunction(this, 'Function', {
      entry: 'functions/usage-export/usage-export.handler.ts',
      layers: props.layers,
      description: "Exports yesterday's usage records to S3 (JSON lines by day) for billing",
      memorySize: 1024,
      timeout: props.timeout ?? Duration.minutes(15),
      logRetention: props.logRetention,
      environment: {
        [ENV.usageTable]: props.usageTable.tableName,
        [ENV.tenantsTable]: props.tenantsTable.tableName,
        [ENV.usageExportBucket]: props.bucket.bucketName,
      },
    });
    props.usageTable.grant(this.function, 'dynamodb:Query');
    this.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:Scan'],
        resources: [props.tenantsTable.tableArn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...TENANTS_TABLE.profileAttributes] },
          StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
        },
      }),
    );
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:PutObject'], resources: [props.bucket.arnForObjects('usage/*')] }),
    );
    this.rule = new Rule(this, 'Schedule', {
      description: "Exports yesterday's Switchyard usage to S3",
      schedule: props.schedule ?? Schedule.cron({ minute: '30', hour: '0' }),
      targets: [new LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.hours(6) })],
    });
  }
}
