// The operator scripts' client of the admin API (`/admin/*`): JSON in and out, against AWS with
// SigV4 (IAM auth: the caller's credentials from the default provider chain, service
// `execute-api`) or against `npm start` with the local admin key (the local stand-in for IAM).
import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AdminAnswer {
  status: number;
  body: unknown;
}

export type AdminTransport = (method: string, path: string, body?: unknown) => Promise<AdminAnswer>;

async function send(url: string, init: RequestInit): Promise<AdminAnswer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body };
}

/** The local stack: `Authorization: Bearer <admin key>`. */
export function localAdminTransport(baseUrl: string, adminKey: string): AdminTransport {
  const base = baseUrl.replace(/\/+$/, '');
  return (method, path, body) =>
    send(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminKey}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
}

export interface SigV4Options {
  /** The stage URL (the stack's ApiUrl output), e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/prod/`. */
  apiUrl: string;
  region: string;
  credentials?: ConstructorParameters<typeof SignatureV4>[0]['credentials'];
}

/** A request to the admin API signed with SigV4 for `execute-api` (what IAM-auth routes need). */
export async function signedAdminRequest(
  options: SigV4Options,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ url: string; init: RequestInit }> {
  const stage = new URL(options.apiUrl);
  const full = new URL(`${stage.pathname.replace(/\/+$/, '')}${path}`, stage.origin);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials: options.credentials ?? defaultProvider(),
    sha256: Sha256,
  });
  const query: Record<string, string> = {};
  for (const [k, v] of full.searchParams) query[k] = v;
  const signed = await signer.sign({
    method,
    protocol: full.protocol,
    hostname: full.hostname,
    path: full.pathname,
    query,
    headers: {
      host: full.host,
      ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(payload !== undefined ? { body: payload } : {}),
  });
  return {
    url: full.toString(),
    init: {
      method,
      headers: signed.headers as Record<string, string>,
      ...(payload !== undefined ? { body: payload } : {}),
    },
  };
}

/** AWS: every request signed with the caller's IAM credentials. */
export function sigV4AdminTransport(options: SigV4Options): AdminTransport {
  return async (method, path, body) => {
    const { url, init } = await signedAdminRequest(options, method, path, body);
    return send(url, init);
  };
}
