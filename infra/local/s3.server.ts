// A minimal S3 server for the local stack and tests: CreateBucket, HeadBucket, PutObject,
// GetObject and ListObjectsV2 in S3's REST-XML protocol (path-style addressing), enough for the
// real @aws-sdk/client-s3 to write and read the usage export. Objects live in memory. No
// maintained embeddable S3 stand-in was on npm (s3rver's last release is from 2021).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface StoredObject {
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
}

export interface S3Server {
  url: string;
  createBucket(name: string): void;
  /** Keys of a bucket, sorted (tests). */
  keys(bucket: string): string[];
  stop(): Promise<void>;
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A body sent with `Content-Encoding: aws-chunked` (streamed uploads with trailing checksums). */
function decodeAwsChunked(raw: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  while (i < raw.length) {
    const eol = raw.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = Number.parseInt(raw.subarray(i, eol).toString('latin1').split(';')[0] ?? '0', 16);
    if (!size) break;
    out.push(raw.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

export async function startS3Server(options: { port?: number } = {}): Promise<S3Server> {
  const buckets = new Map<string, Map<string, StoredObject>>();

  const error = (res: ServerResponse, status: number, code: string, message: string) => {
    res.writeHead(status, { 'content-type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`,
    );
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const [bucketName = '', ...rest] = url.pathname.slice(1).split('/');
    const bucket = decodeURIComponent(bucketName);
    const key = rest.map(decodeURIComponent).join('/');
    const method = req.method ?? 'GET';
    if (!bucket) return error(res, 400, 'InvalidRequest', 'path-style requests name a bucket');
    if (method === 'PUT' && !key) {
      buckets.set(bucket, buckets.get(bucket) ?? new Map());
      res.writeHead(200, { location: `/${bucket}` });
      return res.end();
    }
    const objects = buckets.get(bucket);
    if (!objects) return error(res, 404, 'NoSuchBucket', `The specified bucket does not exist: ${bucket}`);
    if (method === 'HEAD' && !key) {
      res.writeHead(200);
      return res.end();
    }
    if (method === 'PUT') {
      const data = req.headers['content-encoding']?.includes('aws-chunked') ? decodeAwsChunked(body) : body;
      const etag = `"${createHash('md5').update(data).digest('hex')}"`;
      objects.set(key, {
        body: data,
        contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'),
        etag,
        lastModified: new Date(),
      });
      res.writeHead(200, { etag });
      return res.end();
    }
    if (method === 'GET' && key) {
      const o = objects.get(key);
      if (!o) return error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      res.writeHead(200, {
        'content-type': o.contentType,
        'content-length': String(o.body.length),
        etag: o.etag,
        'last-modified': o.lastModified.toUTCString(),
      });
      return res.end(o.body);
    }
    if (method === 'GET' && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const max = Math.min(1000, Number(url.searchParams.get('max-keys') ?? 1000) || 1000);
      const after = url.searchParams.get('continuation-token') ?? url.searchParams.get('start-after') ?? '';
      const all = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
      const page = all.slice(0, max);
      const truncated = all.length > page.length;
      const contents = page
        .map((k) => {
          const o = objects.get(k) as StoredObject;
          return `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
        })
        .join('');
      res.writeHead(200, { 'content-type': 'application/xml' });
      return res.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${truncated ? `<NextContinuationToken>${xmlEscape(page[page.length - 1] as string)}</NextContinuationToken>` : ''}</ListBucketResult>`,
      );
    }
    return error(
      res,
      501,
      'NotImplemented',
      `The local S3 server does not implement ${method} ${url.pathname}`,
    );
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((ok) => server.listen(options.port ?? 0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    createBucket: (name) => {
      buckets.set(name, buckets.get(name) ?? new Map());
    },
    keys: (bucket) => [...(buckets.get(bucket)?.keys() ?? [])].sort(),
    stop: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
