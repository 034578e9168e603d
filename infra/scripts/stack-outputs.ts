// Reads a deployed stack's outputs (table names, usage plan id) for the operator scripts.
import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

export async function stackOutputs(
  cfn: CloudFormationClient,
  stackName: string,
): Promise<Record<string, string>> {
  const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const stack = out.Stacks?.[0];
  if (!stack) throw new Error(`stack ${stackName} is not deployed in this account/region`);
  return Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
}

export function required(outputs: Record<string, string>, key: string, stack: string): string {
  const value = outputs[key];
  if (!value) throw new Error(`stack ${stack} has no output ${key}; deploy it with \`npm run deploy\``);
  return value;
}

/** `--name value` pairs from argv. */
export function flags(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.startsWith('--')) {
      const next = argv[i + 1];
      out[a.slice(2)] = next && !next.startsWith('--') ? next : 'true';
      if (next && !next.startsWith('--')) i++;
    }
  }
  return out;
}
