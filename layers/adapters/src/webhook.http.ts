// Completion webhooks: the rule for which URLs a job may name, and the HTTP call itself.
//
// `webhookUrlProblem` is the up-front check (POST /v1/jobs): an absolute https URL without
// credentials whose host is not obviously internal (a non-public IP literal, localhost, a
// single-label or .local/.internal/.home.arpa name). Local mode (`allowLocal`) also accepts http
// to this machine. It does not resolve names: DNS may answer differently when the job ends.
//
// `WebhookHttpClient.post` is the authoritative check, at call time: it resolves the host once,
// refuses unless EVERY address is public (webhook.address.ts; local mode: or loopback, and http
// only when every address is loopback), then connects to the checked addresses themselves (a
// `lookup` that returns them: no second resolution), keeping the hostname for Host, SNI and the certificate
// check. Redirects are never followed, any non-2xx answer is a failure (the caller's retry
// policy decides what happens next), and the whole call, resolution included, has one timeout.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { isLoopbackAddress, nonPublicRange } from './webhook.address.ts';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** Name suffixes that only ever resolve inside a network (RFC 6761, RFC 6762, RFC 8375, ICANN 2024). */
const INTERNAL_SUFFIXES = ['.localhost', '.local', '.internal', '.home.arpa'];

/** The URL's host without IPv6 brackets or trailing dots, lower-cased. */
function bareHost(url: URL): string {
  return url.hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.+$/, '')
    .toLowerCase();
}

function isLocalName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

/** Why `value` may not be used as a webhook URL, or undefined when it may. */
export function webhookUrlProblem(value: unknown, options: { allowLocal: boolean }): string | undefined {
  if (typeof value !== 'string' || value === '') return 'must be a non-empty string';
  if (value.length > MAX_WEBHOOK_URL_LENGTH) return `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https URL';
  const host = bareHost(url);
  const literal = isIP(host) !== 0;
  const local = literal ? isLoopbackAddress(host) : isLocalName(host);
  if (options.allowLocal && local) return undefined;
  if (url.protocol !== 'https:') {
    return options.allowLocal
      ? 'must be an https URL (or http to 127.0.0.1, ::1 or localhost in local mode)'
      : 'must be an https URL';
  }
  if (literal) {
    const range = nonPublicRange(host);
    return range ? `must not point at a non-public address: ${host} is in ${range}` : undefined;
  }
  if (local) return 'must not point at a loopback, private or link-local address (localhost)';
  if (!host.includes('.')) return `must name a public host: "${host}" is a single-label (internal) name`;
  const suffix = INTERNAL_SUFFIXES.find((s) => host.endsWith(s));
  if (suffix) return `must name a public host: ${suffix} names resolve only inside a network`;
  return undefined;
}

export class WebhookError extends Error {
  override name = 'Switchyard.WebhookFailed';
}

/** Resolves a host name to every address it has (the system resolver: dns.lookup, all, verbatim). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, order: 'verbatim' }, (err, addresses) =>
      err ? reject(err) : resolve(addresses),
    ),
  );

export interface WebhookHttpClientOptions {
  /** One deadline for the whole call: resolution, connection, answer. */
  timeoutMs: number;
  /** Local mode: loopback addresses are allowed, and http is allowed to them only. */
  allowLocal: boolean;
  /** @default systemResolver */
  resolve?: Resolver;
  /** CA certificates to trust for https instead of Node's bundled ones (tests with a local TLS server). @default Node's */
  ca?: string | Buffer;
}

export class WebhookHttpClient {
  readonly #timeoutMs: number;
  readonly #allowLocal: boolean;
  readonly #resolve: Resolver;
  readonly #ca: string | Buffer | undefined;

  constructor(options: WebhookHttpClientOptions) {
    this.#timeoutMs = options.timeoutMs;
    this.#allowLocal = options.allowLocal;
    this.#resolve = options.resolve ?? systemResolver;
    this.#ca = options.ca;
  }

  /** POSTs `body` (JSON text) to `url`; throws WebhookError unless the answer is 2xx. */
  async post(url: string, body: string, headers: Record<string, string> = {}): Promise<void> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    const target = await this.#checkedTarget(url, signal);
    const status = await this.#send(target, body, headers, signal).catch((err: unknown) => {
      throw new WebhookError(`webhook call failed: ${signal.aborted ? 'timed out' : describe(err)}`, {
        cause: err,
      });
    });
    if (status < 200 || status >= 300) throw new WebhookError(`webhook answered ${status}`);
  }

  /** The URL and the checked addresses to connect to, or a WebhookError saying why not. */
  async #checkedTarget(raw: string, signal: AbortSignal): Promise<{ url: URL; addresses: LookupAddress[] }> {
    const problem = webhookUrlProblem(raw, { allowLocal: this.#allowLocal });
    if (problem) throw new WebhookError(`webhook URL refused: it ${problem}`);
    const url = new URL(raw);
    const host = bareHost(url);
    let addresses: LookupAddress[];
    try {
      addresses = isIP(host)
        ? [{ address: host, family: isIP(host) }]
        : await abortable(this.#resolve(host), signal);
    } catch (err) {
      const why = signal.aborted ? 'timed out' : describe(err);
      throw new WebhookError(`webhook host ${host} did not resolve: ${why}`, { cause: err });
    }
    if (addresses.length === 0) throw new WebhookError(`webhook host ${host} has no address`);
    for (const { address } of addresses) {
      if (this.#allowLocal && isLoopbackAddress(address)) continue;
      if (url.protocol === 'http:') {
        throw new WebhookError(
          `webhook refused: http is allowed only to loopback, and ${host} resolves to ${address}`,
        );
      }
      const range = nonPublicRange(address);
      if (range) throw new WebhookError(`webhook refused: ${host} resolves to ${address}, in ${range}`);
    }
    return { url, addresses };
  }

  #send(
    { url, addresses }: { url: URL; addresses: LookupAddress[] },
    body: string,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<number> {
    const https = url.protocol === 'https:';
    return new Promise<number>((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(
        {
          method: 'POST',
          hostname: bareHost(url),
          port: url.port || (https ? 443 : 80),
          path: `${url.pathname}${url.search}`,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'switchyard-webhook',
            ...headers,
            'content-length': String(Buffer.byteLength(body)),
          },
          // The checked addresses, never a second lookup (Node tries them in turn when it asks
          // for all); the hostname stays for Host, SNI and the certificate check.
          lookup: (_host, options, callback) => {
            const [first] = addresses as [LookupAddress];
            if ((options as { all?: boolean }).all) {
              (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
            } else callback(null, first.address, first.family);
          },
          agent: false,
          signal,
          ...(https && this.#ca ? { ca: this.#ca } : {}),
        },
        (res: IncomingMessage) => {
          resolve(res.statusCode ?? 0);
          res.destroy(); // the answer's body is not read: only the status counts
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
