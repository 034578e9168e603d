// The runner both operator scripts share: picks the target (locally, `--local`, or URL and
// ADMIN_KEY in the environment as `source .switchyard/local.env` exports them: the admin key; else
// AWS: the stateless stack's ApiUrl output and SigV4 with the caller's credentials), runs one
// command, prints its answer as JSON; usage errors exit 2, API errors 1.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { REPO_ROOT } from '../app.config.ts';
import { LOCAL_ENV_FILE } from '../local/local-env.ts';
import { AdminCommandError, AdminUsageError } from './admin.commands.ts';
import { type AdminTransport, localAdminTransport, sigV4AdminTransport } from './admin-client.ts';
import { flags, required, stackOutputs } from './stack-outputs.ts';

type Command = (
  api: AdminTransport,
  command: string | undefined,
  args: Record<string, string>,
) => Promise<unknown>;

/** URL and ADMIN_KEY from the environment, else from .switchyard/local.env. */
function localTarget(args: Record<string, string>): { url: string; adminKey: string } | undefined {
  let url = args.url ?? process.env.URL;
  let adminKey = args['admin-key'] ?? process.env.ADMIN_KEY;
  const file = join(REPO_ROOT, LOCAL_ENV_FILE);
  if ((!url || !adminKey) && existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /^export (URL|ADMIN_KEY)='(.*)'$/.exec(line);
      if (m?.[1] === 'URL') url ??= m[2];
      if (m?.[1] === 'ADMIN_KEY') adminKey ??= m[2];
    }
  }
  return url && adminKey ? { url, adminKey } : undefined;
}

async function transport(args: Record<string, string>): Promise<AdminTransport> {
  const wantsLocal = args.local === 'true' || (args.aws !== 'true' && process.env.ADMIN_KEY !== undefined);
  if (wantsLocal) {
    const target = localTarget(args);
    if (!target)
      throw new AdminUsageError('--local: start the stack with `npm start` (or pass --url and --admin-key)');
    return localAdminTransport(target.url, target.adminKey);
  }
  const cfn = new CloudFormationClient({});
  const stackName = args['stateless-stack'] ?? 'SwitchyardStateless';
  const apiUrl = required(await stackOutputs(cfn, stackName), 'ApiUrl', stackName);
  return sigV4AdminTransport({ apiUrl, region: await cfn.config.region() });
}

export async function runAdminCli(command: Command, usage: string): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  const args = flags(rest);
  try {
    const answer = await command(await transport(args), name, args);
    console.log(JSON.stringify(answer, null, 2));
  } catch (err) {
    if (err instanceof AdminUsageError) {
      console.error(`${err.message}\n${usage}`);
      process.exit(2);
    }
    if (err instanceof AdminCommandError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}
