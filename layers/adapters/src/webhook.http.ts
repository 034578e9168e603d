// Completion webhooks: the rule for which URLs a job may name, and the HTTP call itself.
// A webhook URL must be https; local mode (`allowLocal`) also accepts http to this machine
// (127.0.0.1, ::1, localhost). Credentials in the URL, loopback/private/link-local address
// literals (outside local mode) and anything that is not an absolute URL are refused. The call is
// a POST of JSON with a timeout that never follows redirects; any non-2xx answer is a failure
// (the workflow's Retry decides what happens next).
import { isIP } from 'node:net';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

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
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const local = host === 'localhost' || host.endsWith('.localhost') || isLoopback(host);
  if (options.allowLocal && local && (url.protocol === 'http:' || url.protocol === 'https:'))
    return undefined;
  if (url.protocol !== 'https:') {
    return options.allowLocal
      ? 'must be an https URL (or http to 127.0.0.1, ::1 or localhost in local mode)'
      : 'must be an https URL';
  }
  if (local || isPrivateAddress(host)) return 'must not point at a loopback, private or link-local address';
  return undefined;
}

function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function isPrivateAddress(host: string): boolean {
  const kind = isIP(host);
  if (kind === 4) {
    const [a = 0, b = 0] = host.split('.').map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168)
    );
  }
  if (kind === 6) {
    if (host === '::' || host === '::1') return true;
    // IPv4-mapped (::ffff:a.b.c.d, which URL parsing writes as ::ffff:XXXX:XXXX).
    const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
    if (dotted) return isPrivateAddress(dotted[1] as string);
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
    if (hex) {
      const [hi, lo] = [Number.parseInt(hex[1] as string, 16), Number.parseInt(hex[2] as string, 16)];
      return isPrivateAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
    }
    return /^f[cd]/.test(host) || /^fe[89ab]/.test(host);
  }
  return false;
}

export class WebhookError extends Error {
  override name = 'Switchyard.WebhookFailed';
}

export interface HttpWebhookNotifierOptions {
  fetch?: typeof fetch;
  timeoutMs: number;
}

export class HttpWebhookNotifier {
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: HttpWebhookNotifierOptions) {
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs;
  }

  /** POSTs `payload` as JSON; throws WebhookError unless the answer is 2xx. */
  async notify(url: string, payload: unknown, headers: Record<string, string> = {}): Promise<void> {
    let res: Response;
    try {
      res = await this.#fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'switchyard-webhook', ...headers },
        body: JSON.stringify(payload),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw new WebhookError(`webhook call failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    await res.body?.cancel().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) throw new WebhookError(`webhook answered ${res.status}`);
  }
}
