// The job workflow's safety net: an EventBridge rule on the workflow's execution status changes
// (FAILED, TIMED_OUT, ABORTED) invokes a small function that marks the job failed with the reason
// when the execution ended without recording a final state (conditional: a job the workflow
// finished keeps its state). EventBridge retries the function for up to a day. Grants: get and
// update items in the jobs table.

import { ABNORMAL_EXECUTION_STATUSES } from '@switchyard/core';
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '../app.config.ts';
import type { SharedLayers } from './shared-layers.construct.ts';
import { SwitchyardFunction } from './switchyard-function.construct.ts';
import { grantWebhookSecretRead } from './webhook-secrets.grant.ts';

export interface JobExecutionWatchProps {
  readonly layers: SharedLayers;
  readonly workflow: IStateMachine;
  readonly jobsTable: ITable;
  /** Tenants: the webhook of a job is signed with its tenant's secret. */
  readonly tenantsTable: ITable;
  /**
   * Retention of the function's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export class JobExecutionWatch extends Construct {
  public readonly function: SwitchyardFunction;
  public readonly rule: Rule;

  constructor(scope: Construct, id: string, props: JobExecutionWatchProps) {
    super(scope, id);
    this.function = new SwitchyardFunction(this, 'Function', {
      entry: 'functions/job-watch/execution-ended.handler.ts',
      layers: props.layers,
      description: 'Marks a job failed when its workflow execution ended without recording it',
      memorySize: 256,
      timeout: Duration.seconds(15),
      logRetention: props.logRetention,
      environment: {
        [ENV.jobsTable]: props.jobsTable.tableName,
        [ENV.tenantsTable]: props.tenantsTable.tableName,
      },
    });
    props.jobsTable.grant(this.function, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    grantWebhookSecretRead(props.tenantsTable, this.function);
    this.rule = new Rule(this, 'ExecutionEnded', {
      description: 'Job workflow executions that ended FAILED, TIMED_OUT or ABORTED',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [props.workflow.stateMachineArn],
          status: ABNORMAL_EXECUTION_STATUSES,
        },
      },
      targets: [new LambdaFunction(this.function, { maxEventAge: Duration.hours(24), retryAttempts: 185 })],
    });
  }
}
