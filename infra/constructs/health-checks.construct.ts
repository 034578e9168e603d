// Active health checks: the health-check function on an EventBridge schedule. Each run probes
// every endpoint several times (`probeRounds` rounds `probeInterval` apart, default 4 x 15 s in a
// 1-minute schedule): SageMaker DescribeEndpoint and a tiny InvokeEndpoint on the endpoints the
// registry file names (HTTP endpoints need no AWS grant); it writes status, latency, error rate
// and the shared circuit state, combining the probes with the router's passive outcomes.
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../app.config.ts';
import { grantSageMakerEndpoints, SAGEMAKER_PROBE_ACTIONS } from './sagemaker-endpoints.grant.ts';
import type { SharedLayers } from './shared-layers.construct.ts';
import { SwitchyardFunction } from './switchyard-function.construct.ts';

export interface HealthChecksProps {
  readonly layers: SharedLayers;
  readonly registryTable: ITable;
  readonly healthTable: ITable;
  /** SageMaker endpoints the probes may describe and invoke (from the registry file). */
  readonly sagemakerEndpointNames: readonly string[];
  /**
   * How often the health check runs (it may probe several times per run).
   * @default Schedule.rate(Duration.minutes(1))
   */
  readonly schedule?: Schedule;
  /**
   * Probe rounds per run.
   * @default 4
   */
  readonly probeRounds?: number;
  /**
   * From the start of one probe round to the next; rounds x interval must fit in the timeout.
   * @default Duration.seconds(15)
   */
  readonly probeInterval?: Duration;
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

export class HealthChecks extends Construct {
  public readonly function: SwitchyardFunction;
  public readonly rule: Rule;

  constructor(scope: Construct, id: string, props: HealthChecksProps) {
    super(scope, id);
    this.function = new SwitchyardFunction(this, 'Function', {
      entry: 'functions/health-check/health-check.handler.ts',
      layers: props.layers,
      description: 'Probes every registered endpoint and writes its health',
      // It mostly waits between probe rounds, and Lambda bills the wait: keep it small.
      memorySize: 128,
      timeout: props.timeout ?? Duration.seconds(55),
      logRetention: props.logRetention,
      environment: {
        [ENV.registryTable]: props.registryTable.tableName,
        [ENV.healthTable]: props.healthTable.tableName,
        [ENV.probeRounds]: String(props.probeRounds ?? 4),
        [ENV.probeIntervalMs]: String((props.probeInterval ?? Duration.seconds(15)).toMilliseconds()),
      },
    });
    props.registryTable.grantReadData(this.function);
    props.healthTable.grantReadWriteData(this.function);
    grantSageMakerEndpoints(this.function, props.sagemakerEndpointNames, SAGEMAKER_PROBE_ACTIONS);

    this.rule = new Rule(this, 'Schedule', {
      description: 'Runs the Switchyard health check',
      schedule: props.schedule ?? Schedule.rate(Duration.minutes(1)),
      // A missed run is covered by the next one: do not pile retries onto the schedule.
      targets: [new LambdaFunction(this.function, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });
  }
}
