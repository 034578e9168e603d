// Learned routing's refit: a function on an EventBridge schedule that joins the decision log's
// feedback with its decisions and writes the learned state the routers read (functions/refit/).
// Grants: Scan on the decisions table, PutItem of the state item only (`~learned`, by a
// LeadingKeys condition), and reads of the registry (the learned policies' targets).
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DECISIONS_TABLE } from '../../layers/adapters/src/tables.ts';
import { ENV, SHARED_ENV_DEFAULTS } from '../app.config.ts';
import type { SharedLayers } from './shared-layers.construct.ts';
import { SwitchyardFunction } from './switchyard-function.construct.ts';

export interface LearnedRefitProps {
  readonly layers: SharedLayers;
  readonly decisionsTable: ITable;
  readonly registryTable: ITable;
  /**
   * How often the learned state is refit (routers see it within their cache TTL after).
   * @default Schedule.rate(Duration.minutes(1))
   */
  readonly schedule?: Schedule;
  /**
   * Timeout of one run; keep it under the schedule's period.
   * @default Duration.seconds(55)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the function's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export class LearnedRefit extends Construct {
  public readonly function: SwitchyardFunction;
  public readonly rule: Rule;

  constructor(scope: Construct, id: string, props: LearnedRefitProps) {
    super(scope, id);
    this.function = new SwitchyardFunction(this, 'Function', {
      entry: 'functions/refit/refit.handler.ts',
      layers: props.layers,
      description: 'Refits the learned router from feedback joined with the decision log',
      memorySize: 1024,
      timeout: props.timeout ?? Duration.seconds(55),
      logRetention: props.logRetention,
      environment: {
        [ENV.decisionsTable]: props.decisionsTable.tableName,
        [ENV.registryTable]: props.registryTable.tableName,
        [ENV.registryCacheTtlMs]: SHARED_ENV_DEFAULTS.registryCacheTtlMs,
      },
    });
    props.decisionsTable.grant(this.function, 'dynamodb:Scan');
    this.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [props.decisionsTable.tableArn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [DECISIONS_TABLE.learnedStateKey] },
        },
      }),
    );
    // Reads only: a learned canary's verdict is the rollout workflow's (kind policy), not the refit's.
    props.registryTable.grantReadData(this.function);
    this.rule = new Rule(this, 'Schedule', {
      description: 'Refits the Switchyard learned router',
      schedule: props.schedule ?? Schedule.rate(Duration.minutes(1)),
      // The next run refits everything again: no retries onto the schedule.
      targets: [new LambdaFunction(this.function, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });
  }
}
