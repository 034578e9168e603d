// WorkflowStarter over Step Functions: one execution per name. The name is the idempotency key;
// a repeated start never runs the state machine twice (AWS refuses or returns the same execution).
import { createHash } from 'node:crypto';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { WorkflowStarter } from '@switchyard/core';

export interface StepFunctionsWorkflowStarterOptions {
  client: SFNClient;
  stateMachineArn: string;
}

const MAX_NAME = 80;
const HASH_CHARS = 16;

/**
 * A valid execution name for `name`, deterministically: kept as is when it is 1–80 characters of
 * `[A-Za-z0-9_-]` (the set that also keeps CloudWatch logging happy); otherwise other characters
 * become `-`, it is cut to fit and suffixed with a hash of the original, so distinct names stay
 * distinct.
 */
export function executionName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_-]/g, '-');
  if (clean === name && name.length >= 1 && name.length <= MAX_NAME) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, HASH_CHARS);
  const prefix = clean.slice(0, MAX_NAME - HASH_CHARS - 1);
  return prefix ? `${prefix}-${hash}` : hash;
}

/** The ARN AWS gives execution `name` of `stateMachineArn` (`...:execution:<machine>:<name>`). */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const parts = stateMachineArn.split(':');
  return [...parts.slice(0, 5), 'execution', parts[6] ?? '', name].join(':');
}

/**
 * `start(name, input)` runs StartExecution with the sanitised name and `input` as JSON.
 * `already_started` is true when Step Functions answers ExecutionAlreadyExists (the name was used
 * before: closed, or open with another input). When the same name and input are still running,
 * AWS answers with that same execution instead: reported as `already_started: false`, and still
 * only one run.
 */
export class StepFunctionsWorkflowStarter implements WorkflowStarter {
  constructor(private readonly options: StepFunctionsWorkflowStarterOptions) {}

  async start(name: string, input: unknown): Promise<{ execution_arn: string; already_started: boolean }> {
    const { client, stateMachineArn } = this.options;
    const execName = executionName(name);
    try {
      const out = await client.send(
        new StartExecutionCommand({ stateMachineArn, name: execName, input: JSON.stringify(input ?? {}) }),
      );
      return {
        execution_arn: out.executionArn ?? executionArnOf(stateMachineArn, execName),
        already_started: false,
      };
    } catch (err) {
      if (err instanceof ExecutionAlreadyExists) {
        return { execution_arn: executionArnOf(stateMachineArn, execName), already_started: true };
      }
      throw err;
    }
  }
}
