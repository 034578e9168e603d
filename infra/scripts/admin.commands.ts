// What `npm run keys` and `npm run tenants` do, over the admin API (admin-client.ts: SigV4 in
// AWS, the admin key locally), so the scripts, the README's curl lines and later tooling all go
// through the same routes. Each command is a request; its answer is printed as JSON, a 4xx or
// 5xx becomes an AdminCommandError carrying the API's message.
import type { AdminAnswer, AdminTransport } from './admin-client.ts';

export class AdminUsageError extends Error {
  override name = 'AdminUsageError';
}

export class AdminCommandError extends Error {
  override name = 'AdminCommandError';
  constructor(
    readonly answer: AdminAnswer,
    what: string,
  ) {
    const message = (answer.body as { error?: { message?: string } } | undefined)?.error?.message;
    super(`${what}: HTTP ${answer.status}${message ? `: ${message}` : ''}`);
  }
}

export const KEYS_USAGE = [
  'usage: npm run keys -- create --tenant <id> [--name <name>] [--models a,b]   (creates the tenant if new)',
  '       npm run keys -- list --tenant <id>',
  '       npm run keys -- revoke --tenant <id> --key-id <key id>',
  '  target: --local (URL and ADMIN_KEY from .switchyard/local.env, or --url/--admin-key) or AWS (default: SigV4)',
].join('\n');

export const TENANTS_USAGE = [
  'usage: npm run tenants -- create --id <id> --name <name> [--plan free|standard|enterprise]',
  '                            [--budget-usd <n> --period day|month|total] [--models a,b]',
  '       npm run tenants -- list | get --id <id> | delete --id <id>',
  '       npm run tenants -- patch --id <id> [--name ..] [--plan ..] [--budget-usd <n> --period ..] [--no-budget]',
  '       npm run tenants -- usage --id <id> [--from <date>] [--to <date>] [--group-by model|day|key]',
  '  target: --local (URL and ADMIN_KEY from .switchyard/local.env, or --url/--admin-key) or AWS (default: SigV4)',
].join('\n');

const enc = encodeURIComponent;

function need(args: Record<string, string>, name: string, command: string): string {
  const v = args[name];
  if (v === undefined || v === 'true') throw new AdminUsageError(`${command} needs --${name} <value>`);
  return v;
}

function models(list: string | undefined): string[] | undefined {
  const out = list
    ?.split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  return out && out.length > 0 ? out : undefined;
}

function budget(args: Record<string, string>): { limit_usd: number; period: string } | undefined {
  if (args['budget-usd'] === undefined) return undefined;
  const limit = Number(args['budget-usd']);
  if (!Number.isFinite(limit)) throw new AdminUsageError('--budget-usd must be a number of dollars');
  return { limit_usd: limit, period: args.period ?? 'month' };
}

async function ok(api: AdminTransport, what: string, method: string, path: string, body?: unknown) {
  const answer = await api(method, path, body);
  if (answer.status >= 400) throw new AdminCommandError(answer, what);
  return answer.body;
}

/** `npm run keys -- <command>`: the answer to print. */
export async function keysCommand(
  api: AdminTransport,
  command: string | undefined,
  args: Record<string, string>,
): Promise<unknown> {
  switch (command) {
    case 'create': {
      const tenant = need(args, 'tenant', 'create');
      const path = `/admin/tenants/${enc(tenant)}`;
      let createdTenant: unknown;
      const existing = await api('GET', path);
      if (existing.status === 404) {
        createdTenant = await ok(api, `create tenant ${tenant}`, 'POST', '/admin/tenants', {
          id: tenant,
          name: tenant,
        });
      } else if (existing.status >= 400) throw new AdminCommandError(existing, `read tenant ${tenant}`);
      const key = await ok(api, `create a key of ${tenant}`, 'POST', `${path}/keys`, {
        ...(args.name ? { name: args.name } : {}),
        ...(models(args.models) ? { allowed_models: models(args.models) } : {}),
      });
      return createdTenant === undefined ? key : { tenant: createdTenant, key };
    }
    case 'list':
      return ok(api, 'list keys', 'GET', `/admin/tenants/${enc(need(args, 'tenant', 'list'))}/keys`);
    case 'revoke':
    case 'disable': {
      const tenant = need(args, 'tenant', command);
      const keyId = need(args, 'key-id', command);
      return ok(api, `revoke ${keyId}`, 'DELETE', `/admin/tenants/${enc(tenant)}/keys/${enc(keyId)}`);
    }
    default:
      throw new AdminUsageError(`unknown command ${JSON.stringify(command ?? '')}`);
  }
}

/** `npm run tenants -- <command>`: the answer to print. */
export async function tenantsCommand(
  api: AdminTransport,
  command: string | undefined,
  args: Record<string, string>,
): Promise<unknown> {
  switch (command) {
    case 'create': {
      const b = budget(args);
      return ok(api, 'create tenant', 'POST', '/admin/tenants', {
        id: need(args, 'id', 'create'),
        name: need(args, 'name', 'create'),
        ...(args.plan ? { plan: args.plan } : {}),
        ...(b ? { budget: b } : {}),
        ...(models(args.models) ? { allowed_models: models(args.models) } : {}),
      });
    }
    case 'list':
      return ok(api, 'list tenants', 'GET', '/admin/tenants');
    case 'get':
      return ok(api, 'read tenant', 'GET', `/admin/tenants/${enc(need(args, 'id', 'get'))}`);
    case 'delete':
      return ok(api, 'delete tenant', 'DELETE', `/admin/tenants/${enc(need(args, 'id', 'delete'))}`);
    case 'patch': {
      const id = need(args, 'id', 'patch');
      const b = budget(args);
      const patch = {
        ...(args.name ? { name: args.name } : {}),
        ...(args.plan ? { plan: args.plan } : {}),
        ...(b ? { budget: b } : {}),
        ...(args['no-budget'] === 'true' ? { budget: null } : {}),
        ...(args.models ? { allowed_models: models(args.models) ?? null } : {}),
      };
      return ok(api, 'patch tenant', 'PATCH', `/admin/tenants/${enc(id)}`, patch);
    }
    case 'usage': {
      const id = need(args, 'id', 'usage');
      const q = new URLSearchParams();
      for (const [flag, param] of [
        ['from', 'from'],
        ['to', 'to'],
        ['group-by', 'group_by'],
      ] as const) {
        if (args[flag] !== undefined) q.set(param, args[flag] as string);
      }
      const qs = q.toString();
      return ok(api, 'read usage', 'GET', `/admin/tenants/${enc(id)}/usage${qs ? `?${qs}` : ''}`);
    }
    default:
      throw new AdminUsageError(`unknown command ${JSON.stringify(command ?? '')}`);
  }
}
