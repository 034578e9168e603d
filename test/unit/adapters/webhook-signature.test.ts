// Webhook signatures: the header Switchyard sends (a literal HMAC vector computed with openssl),
// the README's verification snippet, run as written (extracted from README.md and imported),
// against what the signer makes: valid within 5 minutes either way, refused past that, and for
// any change of body, timestamp, secret or signature. And the signing notifier: the exact bytes
// it signs are the bytes it sends, with the documented headers; no secret, no webhook.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  generateWebhookSecret,
  SignedWebhookNotifier,
  WebhookError,
  webhookSignature,
} from '@switchyard/adapters';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

type Verify = (secret: string, rawBody: string, header: string | undefined, nowMs?: number) => boolean;
let verify: Verify;

beforeAll(async () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const marker = readme.indexOf('<!-- webhook-verify-snippet');
  expect(marker).toBeGreaterThan(0);
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(marker));
  expect(block).not.toBeNull();
  const file = join(mkdtempSync(join(tmpdir(), 'switchyard-snippet-')), 'verify.mjs');
  writeFileSync(file, (block as RegExpExecArray)[1] as string);
  const mod = (await import(pathToFileURL(file).href)) as { verifySwitchyardWebhook: Verify };
  verify = mod.verifySwitchyardWebhook;
});

const SECRET = 'whsec_test';
const BODY = '{"id":"job_1","status":"succeeded"}';
const T = 1_700_000_000;

describe('webhookSignature', () => {
  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "t.body" keyed with the secret>', () => {
    // printf '%s' '1700000000.{"id":"job_1","status":"succeeded"}' | openssl dgst -sha256 -hmac whsec_test
    expect(webhookSignature(SECRET, T, BODY)).toBe(
      't=1700000000,v1=407df40e7409eeaf98fcf475ab0ede7ada1cb20c25316e8bf75995ac8192024c',
    );
  });

  it('secrets are whsec_ + 256 random bits', () => {
    const secrets = new Set(Array.from({ length: 50 }, generateWebhookSecret));
    expect(secrets.size).toBe(50);
    for (const s of secrets) expect(s).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
  });
});

describe("the README's verification snippet", () => {
  const header = webhookSignature(SECRET, T, BODY);

  it('accepts a signature from 300 s ago up to 300 s ahead, and refuses 301 s either way', () => {
    expect(verify(SECRET, BODY, header, T * 1000)).toBe(true);
    expect(verify(SECRET, BODY, header, (T + 300) * 1000)).toBe(true);
    expect(verify(SECRET, BODY, header, (T - 300) * 1000)).toBe(true);
    expect(verify(SECRET, BODY, header, (T + 301) * 1000)).toBe(false);
    expect(verify(SECRET, BODY, header, (T - 301) * 1000)).toBe(false);
  });

  it('refuses another body, secret, timestamp or signature, and malformed headers', () => {
    const now = T * 1000;
    expect(verify(SECRET, `${BODY} `, header, now)).toBe(false);
    expect(verify('whsec_other', BODY, header, now)).toBe(false);
    expect(verify(SECRET, BODY, header.replace('t=1700000000', 't=1700000001'), now)).toBe(false);
    expect(
      verify(
        SECRET,
        BODY,
        header.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
        now,
      ),
    ).toBe(false);
    expect(verify(SECRET, BODY, header.slice(0, -2), now)).toBe(false);
    for (const bad of [undefined, '', 't=1700000000', 'v1=abc', 't=abc,v1=00', 't=1.7e9,v1=00']) {
      expect(verify(SECRET, BODY, bad, now)).toBe(false);
    }
  });

  it('verifies whatever the signer signs, and nothing changed in one character', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        (body, secret, t) => {
          const h = webhookSignature(secret, t, body);
          expect(verify(secret, body, h, t * 1000)).toBe(true);
          expect(verify(secret, `${body}x`, h, t * 1000)).toBe(false);
          expect(verify(`${secret}x`, body, h, t * 1000)).toBe(false);
        },
      ),
    );
  });
});

describe('SignedWebhookNotifier', () => {
  function world(secret: string | undefined) {
    const posts: Array<{ url: string; body: string; headers: Record<string, string> }> = [];
    const lookups: string[] = [];
    const notifier = new SignedWebhookNotifier({
      secrets: {
        webhookSecret: async (tenant) => {
          lookups.push(tenant);
          return secret;
        },
      },
      http: {
        post: async (url, body, headers = {}) => {
          posts.push({ url, body, headers });
        },
      },
      now: () => 1_700_000_000_999,
    });
    return { notifier, posts, lookups };
  }
  const delivery = {
    url: 'https://hooks.example.com/h',
    tenant: 'acme',
    job_id: 'job_1',
    id: 'job_1.succeeded',
    payload: { id: 'job_1', status: 'succeeded' },
  };

  it("signs the exact body it sends with the tenant's secret, at the current second", async () => {
    const w = world(SECRET);
    await w.notifier.notify(delivery);
    expect(w.lookups).toEqual(['acme']);
    expect(w.posts).toEqual([
      {
        url: 'https://hooks.example.com/h',
        body: BODY,
        headers: {
          'x-switchyard-job': 'job_1',
          'switchyard-webhook-id': 'job_1.succeeded',
          'switchyard-signature':
            't=1700000000,v1=407df40e7409eeaf98fcf475ab0ede7ada1cb20c25316e8bf75995ac8192024c',
        },
      },
    ]);
    const sent = w.posts[0] as (typeof w.posts)[number];
    expect(verify(SECRET, sent.body, sent.headers['switchyard-signature'], 1_700_000_000_999)).toBe(true);
  });

  it('sends nothing for a tenant without a secret, and says why', async () => {
    const w = world(undefined);
    const err = await w.notifier.notify(delivery).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookError);
    expect((err as Error).message).toBe(
      'tenant acme has no webhook secret, and webhooks are only sent signed (npm run keys -- create --tenant acme makes one)',
    );
    expect(w.posts).toEqual([]);
  });
});
