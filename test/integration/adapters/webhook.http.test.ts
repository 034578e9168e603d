// The webhook HTTP client against real local servers, with an injected resolver standing in for
// DNS: a host name that resolves to loopback (or any non-public range) is refused outside local
// mode before any connection is made; every resolved address counts; the connection goes to the
// checked address with no second lookup, keeping the host name for Host, SNI and the certificate
// (a TLS server with a test-only certificate for hooks.example.test); redirects are not followed,
// non-2xx answers and timeouts (resolution included) are failures.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { type Resolver, WebhookError, WebhookHttpClient } from '@switchyard/adapters';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const TLS = {
  cert: readFileSync(new URL('../../fixtures/tls/hooks.example.test.crt', import.meta.url)),
  key: readFileSync(new URL('../../fixtures/tls/hooks.example.test.key', import.meta.url)),
};

interface Seen {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
  body: string;
  servername?: string | false | null;
}

let connections = 0;
const seen: Seen[] = [];
let answer: { status: number; delayMs?: number; headers?: Record<string, string> } = { status: 204 };

function handler(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    seen.push({
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      servername: (req.socket as TLSSocket).servername,
    });
    const reply = () => {
      res.writeHead(answer.status, answer.headers ?? {});
      res.end('ignored answer body');
    };
    if (answer.delayMs) setTimeout(reply, answer.delayMs);
    else reply();
  });
}

const plain: Server = createServer(handler);
const tls = createTlsServer(TLS, handler);
let plainPort = 0;
let tlsPort = 0;

beforeAll(async () => {
  for (const server of [plain, tls]) {
    server.on('connection', (_s: Socket) => {
      connections++;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  }
  plainPort = (plain.address() as AddressInfo).port;
  tlsPort = (tls.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const server of [plain, tls]) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
beforeEach(() => {
  connections = 0;
  seen.length = 0;
  answer = { status: 204 };
});

/** A resolver that answers `addresses` for every name and records what it was asked. */
function fakeDns(...addresses: string[]): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (host: string) => {
    asked.push(host);
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { asked });
}

function client(resolve: Resolver, allowLocal = false, timeoutMs = 2000): WebhookHttpClient {
  return new WebhookHttpClient({ timeoutMs, allowLocal, resolve, ca: TLS.cert });
}

async function failure(p: Promise<unknown>): Promise<WebhookError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WebhookError);
  return err as WebhookError;
}

describe('outside local mode', () => {
  it('refuses a host name that resolves to 127.0.0.1, without connecting at all', async () => {
    const dns = fakeDns('127.0.0.1');
    for (const port of [plainPort, tlsPort]) {
      const err = await failure(client(dns).post(`https://hooks.example.test:${port}/hook`, '{}'));
      expect(err.message).toBe(
        'webhook refused: hooks.example.test resolves to 127.0.0.1, in 127.0.0.0/8 (loopback)',
      );
    }
    expect(dns.asked).toEqual(['hooks.example.test', 'hooks.example.test']);
    expect(connections).toBe(0);
    expect(seen).toEqual([]);
  });

  it('checks every address: one non-public among public ones is enough to refuse', async () => {
    const err = await failure(
      client(fakeDns('93.184.216.34', '2606:4700::1', '10.1.2.3')).post(
        `https://hooks.example.test:${tlsPort}/`,
        '{}',
      ),
    );
    expect(err.message).toBe(
      'webhook refused: hooks.example.test resolves to 10.1.2.3, in 10.0.0.0/8 (private)',
    );
    expect(connections).toBe(0);
  });

  it.each([
    ['0.0.0.0', '0.0.0.0/8 (this network)'],
    ['10.0.0.1', '10.0.0.0/8 (private)'],
    ['100.64.0.1', '100.64.0.0/10 (shared address space (CGNAT))'],
    ['169.254.169.254', '169.254.0.0/16 (link-local (cloud metadata))'],
    ['172.16.0.1', '172.16.0.0/12 (private)'],
    ['192.0.0.8', '192.0.0.0/24 (IETF protocol assignments)'],
    ['192.0.2.1', '192.0.2.0/24 (documentation (TEST-NET-1))'],
    ['192.88.99.1', '192.88.99.0/24 (deprecated 6to4 relay anycast)'],
    ['192.168.0.1', '192.168.0.0/16 (private)'],
    ['198.18.0.1', '198.18.0.0/15 (benchmarking)'],
    ['198.51.100.1', '198.51.100.0/24 (documentation (TEST-NET-2))'],
    ['203.0.113.1', '203.0.113.0/24 (documentation (TEST-NET-3))'],
    ['224.0.0.1', '224.0.0.0/4 (multicast)'],
    ['240.0.0.1', '240.0.0.0/4 (reserved)'],
    ['255.255.255.255', '255.255.255.255/32 (limited broadcast)'],
    ['::', '::/128 (unspecified)'],
    ['::1', '::1/128 (loopback)'],
    ['::7f00:1', '::/96 (IPv4-compatible (deprecated))'],
    ['::ffff:127.0.0.1', '::ffff:0:0/96 (IPv4-mapped 127.0.0.1: 127.0.0.0/8 (loopback))'],
    ['64:ff9b::7f00:1', '64:ff9b::/96 (NAT64 127.0.0.1: 127.0.0.0/8 (loopback))'],
    ['64:ff9b:1::1', '64:ff9b:1::/48 (local-use IPv4/IPv6 translation)'],
    ['100::1', '100::/64 (discard-only)'],
    ['2001::1', '2001::/32 (Teredo)'],
    ['2001:2::1', '2001:2::/48 (benchmarking)'],
    ['2001:10::1', '2001:10::/28 (deprecated ORCHID)'],
    ['2001:20::1', '2001:20::/28 (ORCHIDv2)'],
    ['2001:4::1', '2001::/23 (IETF protocol assignments)'],
    ['2001:db8::1', '2001:db8::/32 (documentation)'],
    ['2002:7f00:1::1', '2002::/16 (6to4)'],
    ['3fff::1', '3fff::/20 (documentation)'],
    ['5f00::1', '5f00::/16 (SRv6 SIDs)'],
    ['fd00::1', 'fc00::/7 (unique local (ULA))'],
    ['fe80::1', 'fe80::/10 (link-local)'],
    ['fec0::1', 'fec0::/10 (site-local (deprecated))'],
    ['ff02::1', 'ff00::/8 (multicast)'],
    ['4000::1', 'outside 2000::/3 (not global unicast)'],
  ])('refuses a host name resolving to %s (%s)', async (address, range) => {
    const err = await failure(client(fakeDns(address)).post('https://hooks.example.test/h', '{}'));
    expect(err.message).toBe(`webhook refused: hooks.example.test resolves to ${address}, in ${range}`);
    expect(connections).toBe(0);
  });

  it('refuses what the up-front rules refuse, before resolving anything', async () => {
    const dns = fakeDns('93.184.216.34');
    for (const [url, message] of [
      [`http://127.0.0.1:${plainPort}/`, 'webhook URL refused: it must be an https URL'],
      [
        'https://localhost./x',
        'webhook URL refused: it must not point at a loopback, private or link-local address (localhost)',
      ],
      [
        'https://[::127.0.0.1]/x',
        'webhook URL refused: it must not point at a non-public address: ::7f00:1 is in ::/96 (IPv4-compatible (deprecated))',
      ],
    ] as const) {
      expect((await failure(client(dns).post(url, '{}'))).message).toBe(message);
    }
    expect(dns.asked).toEqual([]);
    expect(connections).toBe(0);
  });

  it('fails when the name does not resolve, resolves to nothing, or resolution outlasts the timeout', async () => {
    const nxdomain: Resolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND hooks.example.test'), { code: 'ENOTFOUND' });
    };
    expect((await failure(client(nxdomain).post('https://hooks.example.test/', '{}'))).message).toBe(
      'webhook host hooks.example.test did not resolve: getaddrinfo ENOTFOUND hooks.example.test',
    );
    expect((await failure(client(fakeDns()).post('https://hooks.example.test/', '{}'))).message).toBe(
      'webhook host hooks.example.test has no address',
    );
    const hanging: Resolver = () => new Promise(() => undefined);
    expect(
      (await failure(client(hanging, false, 50).post('https://hooks.example.test/', '{}'))).message,
    ).toBe('webhook host hooks.example.test did not resolve: timed out');
  });
});

describe('the connection', () => {
  it('goes to the checked address, resolved once; Host, SNI and the certificate use the host name', async () => {
    const dns = fakeDns('127.0.0.1');
    await client(dns, true).post(`https://hooks.example.test:${tlsPort}/hooks/switchyard?x=1`, '{"a":1}', {
      'x-switchyard-job': 'job_1',
    });
    expect(dns.asked).toEqual(['hooks.example.test']);
    expect(connections).toBe(1);
    expect(seen).toHaveLength(1);
    const [request] = seen as [Seen];
    expect(request).toMatchObject({
      method: 'POST',
      url: '/hooks/switchyard?x=1',
      body: '{"a":1}',
      servername: 'hooks.example.test',
    });
    expect(request.headers).toMatchObject({
      host: `hooks.example.test:${tlsPort}`,
      'content-type': 'application/json',
      'content-length': '7',
      'user-agent': 'switchyard-webhook',
      'x-switchyard-job': 'job_1',
    });
  });

  it("refuses a certificate that is not the host name's, even at a checked address", async () => {
    const err = await failure(
      client(fakeDns('127.0.0.1'), true).post(`https://other.example.test:${tlsPort}/`, '{}'),
    );
    expect(err.message).toMatch(/^webhook call failed: Hostname\/IP does not match certificate's altnames/);
    expect(seen).toEqual([]);
  });

  it.each([500, 404, 302, 300])('answer %s is a failure (redirects are not followed)', async (status) => {
    answer = {
      status,
      headers: status === 302 ? { location: `http://127.0.0.1:${plainPort}/elsewhere` } : {},
    };
    const err = await failure(
      client(fakeDns('127.0.0.1'), true).post(`https://hooks.example.test:${tlsPort}/x`, '{}'),
    );
    expect(err.message).toBe(`webhook answered ${status}`);
    expect(seen.map((r) => r.url)).toEqual(['/x']);
  });

  it.each([200, 299])('answer %s is success', async (status) => {
    answer = { status };
    await client(fakeDns('127.0.0.1'), true).post(`https://hooks.example.test:${tlsPort}/x`, '{}');
    expect(seen).toHaveLength(1);
  });

  it('a slow answer times out; a refused connection fails', async () => {
    answer = { status: 200, delayMs: 500 };
    const slow = await failure(
      client(fakeDns('127.0.0.1'), true, 50).post(`https://hooks.example.test:${tlsPort}/`, '{}'),
    );
    expect(slow.message).toBe('webhook call failed: timed out');
    const refused = await failure(client(fakeDns(), true).post('http://127.0.0.1:1/x', '{}'));
    expect(refused.message).toMatch(/^webhook call failed: connect ECONNREFUSED 127\.0\.0\.1:1/);
  });
});

describe('local mode', () => {
  it('lets http reach loopback: literals and localhost (the system resolver)', async () => {
    const local = new WebhookHttpClient({ timeoutMs: 2000, allowLocal: true });
    await local.post(`http://127.0.0.1:${plainPort}/a`, '{}');
    await local.post(`http://localhost:${plainPort}/b`, '{}');
    expect(seen.map((r) => r.url)).toEqual(['/a', '/b']);
    expect(seen[1]?.headers.host).toBe(`localhost:${plainPort}`);
  });

  it('still refuses non-public addresses that are not loopback, and http to anything but loopback', async () => {
    const toPrivate = await failure(
      client(fakeDns('10.0.0.5'), true).post(`https://hooks.example.test:${tlsPort}/`, '{}'),
    );
    expect(toPrivate.message).toBe(
      'webhook refused: hooks.example.test resolves to 10.0.0.5, in 10.0.0.0/8 (private)',
    );
    const httpOut = await failure(
      client(fakeDns('127.0.0.1', '93.184.216.34'), true).post(`http://localhost:${plainPort}/`, '{}'),
    );
    expect(httpOut.message).toBe(
      'webhook refused: http is allowed only to loopback, and localhost resolves to 93.184.216.34',
    );
    expect(connections).toBe(0);
  });
});
