// Starting and stopping rollout executions on Step Functions. The execution is named after the
// rollout id, so a retried start never runs a rollout twice.
import type { SFNClient } from '@aws-sdk/client-sfn';
import { DescribeExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { StepFunctionsWorkflowStarter } from './workflow.sfn.ts';

export interface RolloutWorkflowOptions {
  client: SFNClient;
  stateMachineArn: string;
}

export class StepFunctionsRolloutWorkflow {
  readonly #client: SFNClient;
  readonly #starter: StepFunctionsWorkflowStarter;

  constructor(options: RolloutWorkflowOptions) {
    this.#client = options.client;
    this.#starter = new StepFunctionsWorkflowStarter(options);
  }

  /** Starts the rollout's execution; resolves to its ARN. */
  async start(rolloutId: string, input: unknown): Promise<string> {
    return (await this.#starter.start(rolloutId, input)).execution_arn;
  }

  /** Stops the execution if it is still running (idempotent); resolves to whether it was running. */
  async stop(executionArn: string, cause: string): Promise<boolean> {
    const described = await this.#client.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return false;
    await this.#client.send(
      new StopExecutionCommand({
        executionArn,
        error: 'Switchyard.ManualRollback',
        cause: cause.slice(0, 32_000),
      }),
    );
    return true;
  }
}
