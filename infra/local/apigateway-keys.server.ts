// A minimal API Gateway management API for the local stack: the calls the admin function makes
// to put consumer keys on usage plans (GetUsagePlans, CreateApiKey, UpdateApiKey, GetApiKey,
// CreateUsagePlanKey, DeleteUsagePlanKey), in the REST-JSON protocol the real @aws-sdk/client-api-gateway speaks, with
// AWS's rules that matter here: a key value is unique, a key is on at most one plan of a stage
// (all of this API's plans share one stage), and unknown ids are a NotFoundException. The local
// gateway asks it which plan an enabled key is on (`planOf`), as API Gateway's usage plans decide.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Key {
  id: string;
  value: string;
  name: string;
  description?: string;
  enabled: boolean;
  createdDate: number;
}

export interface ApiGatewayKeysServer {
  url: string;
  /** The usage plan (by id) an enabled key with this value is on; undefined otherwise. */
  planOf(value: string): string | undefined;
  /** Registers a key directly (the stack's own seeding); returns its id. */
  addKey(value: string, name: string, planId: string): string;
  stop(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startApiGatewayKeysServer(options: {
  /** The usage plans that exist. */
  plans: ReadonlyArray<{ id: string; name: string }>;
}): Promise<ApiGatewayKeysServer> {
  const plans = new Map(options.plans.map((p) => [p.id, new Set<string>()]));
  const keys = new Map<string, Key>();
  const byValue = new Map<string, string>();

  const createKey = (value: string, name: string, enabled = true, description?: string): Key => {
    if (value.length < 20)
      throw new ApiError(400, 'BadRequestException', 'API key value should be at least 20 characters');
    if (byValue.has(value)) throw new ApiError(409, 'ConflictException', 'API Key already exists');
    const key: Key = {
      id: randomBytes(5).toString('hex'),
      value,
      name,
      enabled,
      createdDate: Math.floor(Date.now() / 1000),
      ...(description ? { description } : {}),
    };
    keys.set(key.id, key);
    byValue.set(value, key.id);
    return key;
  };
  const plan = (id: string) => {
    const p = plans.get(id);
    if (!p) throw new ApiError(404, 'NotFoundException', `Invalid Usage Plan ID specified: ${id}`);
    return p;
  };
  const key = (id: string) => {
    const k = keys.get(id);
    if (!k) throw new ApiError(404, 'NotFoundException', `Invalid API Key identifier specified: ${id}`);
    return k;
  };
  const bind = (planId: string, keyId: string) => {
    const p = plan(planId);
    key(keyId);
    if (p.has(keyId)) throw new ApiError(409, 'ConflictException', 'Usage Plan Key already exists');
    for (const [other, members] of plans) {
      if (other !== planId && members.has(keyId)) {
        throw new ApiError(
          409,
          'ConflictException',
          `Usage Plan ${planId} cannot be added because API Key ${keyId} cannot reference multiple Usage Plans with the same API Stage`,
        );
      }
    }
    p.add(keyId);
  };
  const view = (k: Key) => ({
    id: k.id,
    value: k.value,
    name: k.name,
    enabled: k.enabled,
    createdDate: k.createdDate,
    ...(k.description ? { description: k.description } : {}),
  });

  const route = (method: string, path: string, body: Record<string, unknown>): [number, unknown] => {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (method === 'POST' && parts.length === 1 && parts[0] === 'apikeys') {
      const k = createKey(
        String(body.value ?? randomBytes(20).toString('hex')),
        String(body.name ?? ''),
        body.enabled !== false,
        typeof body.description === 'string' ? body.description : undefined,
      );
      return [201, view(k)];
    }
    if (parts[0] === 'apikeys' && parts.length === 2) {
      const k = key(parts[1] as string);
      if (method === 'GET') return [200, view(k)];
      if (method === 'PATCH') {
        for (const op of (body.patchOperations as Array<Record<string, unknown>> | undefined) ?? []) {
          if (op.op === 'replace' && op.path === '/enabled') k.enabled = op.value === 'true';
          else throw new ApiError(400, 'BadRequestException', `Invalid patch path ${String(op.path)}`);
        }
        return [200, view(k)];
      }
    }
    if (method === 'GET' && parts.length === 1 && parts[0] === 'usageplans') {
      // The wire name of GetUsagePlans' list is `item` (the SDK reads it into `items`).
      return [200, { item: options.plans.map((p) => ({ id: p.id, name: p.name })) }];
    }
    if (parts[0] === 'usageplans' && parts[2] === 'keys') {
      const planId = parts[1] as string;
      if (method === 'POST' && parts.length === 3) {
        const keyId = String(body.keyId ?? '');
        bind(planId, keyId);
        const k = key(keyId);
        return [201, { id: k.id, type: 'API_KEY', value: k.value, name: k.name }];
      }
      if (method === 'DELETE' && parts.length === 4) {
        const members = plan(planId);
        if (!members.delete(parts[3] as string)) {
          throw new ApiError(404, 'NotFoundException', `Invalid Usage Plan Key identifier specified`);
        }
        return [202, {}];
      }
    }
    throw new ApiError(404, 'NotFoundException', `No local API Gateway route ${method} ${path}`);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let status: number;
      let payload: unknown;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        [status, payload] = route(req.method ?? 'GET', (req.url ?? '/').split('?')[0] ?? '/', body);
      } catch (err) {
        const e = err instanceof ApiError ? err : new ApiError(400, 'BadRequestException', String(err));
        status = e.status;
        payload = { message: e.message };
        headers['x-amzn-errortype'] = e.type;
      }
      res.writeHead(status, headers);
      res.end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    planOf(value) {
      const id = byValue.get(value);
      const k = id === undefined ? undefined : keys.get(id);
      if (!k?.enabled) return undefined;
      for (const [planId, members] of plans) if (members.has(k.id)) return planId;
      return undefined;
    },
    addKey(value, name, planId) {
      const k = createKey(value, name);
      bind(planId, k.id);
      return k.id;
    },
    stop: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
