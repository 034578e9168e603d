// Helpers for the admin, health and rollout e2e tests: a registry file written for one test, and
// a small JSON client for the `/admin/*` routes (admin key as the local stand-in for IAM).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes `yaml` to a fresh temporary registry file; returns its path. */
export function registryFile(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-'));
  const file = join(dir, 'registry.yaml');
  writeFileSync(file, yaml);
  return file;
}

export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** Calls `method url` with an optional bearer key and JSON body; parses the JSON answer. */
export async function call<T = Record<string, unknown>>(
  method: string,
  url: string,
  key: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

/** The admin API of a local stack. */
export function adminClient(stack: { url: string; adminKey: string }) {
  const url = (path: string) => `${stack.url}${path}`;
  return {
    get: <T = Record<string, unknown>>(path: string) => call<T>('GET', url(path), stack.adminKey),
    put: <T = Record<string, unknown>>(path: string, body: unknown, headers?: Record<string, string>) =>
      call<T>('PUT', url(path), stack.adminKey, body, headers),
    post: <T = Record<string, unknown>>(path: string, body?: unknown) =>
      call<T>('POST', url(path), stack.adminKey, body ?? {}),
  };
}

/** Sets a simulated endpoint's fault mode. */
export async function setFault(
  stack: { url: string },
  endpoint: string,
  mode: 'ok' | 'down' | 'error' | 'slow',
): Promise<void> {
  const res = await fetch(`${stack.url}/_local/endpoints/${endpoint}/fault`, {
    method: 'POST',
    body: JSON.stringify({ mode }),
  });
  if (res.status !== 200) throw new Error(`fault ${endpoint} ${mode}: HTTP ${res.status}`);
}
