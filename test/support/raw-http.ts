// A raw HTTP/1.1 client for tests that must send what `fetch` would normalise or refuse: the
// request target byte for byte (`//`, `..`, `%2F`, raw non-ASCII), header names and values as
// given (duplicates, case, odd characters), any method, and any body. One request per connection
// (`Connection: close`); the answer is read to the end (chunked bodies decoded) or until
// `timeoutMs`, so a server that never answers is a `timeout`, never a hang.
import { connect } from 'node:net';

export interface RawRequest {
  method: string;
  /** The request target exactly as sent. */
  target: string;
  /** Header lines in order; `Host` and `Connection: close` are added unless given. */
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: string | Buffer;
  /** Adds `Content-Length` for the body unless a header names it. @default true */
  contentLength?: boolean;
}

export interface RawResponse {
  status: number;
  /** Lower-cased names; repeated headers keep every value. */
  headers: Record<string, string[]>;
  body: string;
  /** The whole answer as received (status line, headers, body). */
  raw: string;
  ms: number;
}

/** Sends one request to `port` on 127.0.0.1; rejects on a timeout or a connection without an answer. */
export function rawRequest(port: number, req: RawRequest, timeoutMs = 10_000): Promise<RawResponse> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const body = req.body === undefined ? Buffer.alloc(0) : Buffer.from(req.body);
    const given = (name: string) => (req.headers ?? []).some(([k]) => k.toLowerCase() === name);
    const lines = [`${req.method} ${req.target} HTTP/1.1`];
    if (!given('host')) lines.push(`Host: 127.0.0.1:${port}`);
    for (const [k, v] of req.headers ?? []) lines.push(`${k}: ${v}`);
    if (req.contentLength !== false && body.length > 0 && !given('content-length')) {
      lines.push(`Content-Length: ${body.length}`);
    }
    if (!given('connection')) lines.push('Connection: close');
    const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const data = Buffer.concat(chunks);
      if (data.length === 0) {
        reject(err ?? new Error(`${req.method} ${req.target}: connection closed without an answer`));
        return;
      }
      try {
        resolve({ ...parseResponse(data, req.method === 'HEAD'), ms: Date.now() - started });
      } catch (parseErr) {
        reject(parseErr);
      }
    };
    const timer = setTimeout(
      () => finish(new Error(`${req.method} ${req.target}: no answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      // A complete answer ends the wait even if the server keeps the socket open.
      if (complete(Buffer.concat(chunks), req.method === 'HEAD')) finish();
    });
    socket.on('end', () => finish());
    // A server that answers and closes before reading the whole body resets the connection:
    // what arrived before the reset is the answer.
    socket.on('error', (err) => finish(err));
    socket.on('connect', () => {
      socket.write(head);
      if (body.length > 0) socket.write(body);
    });
  });
}

/** The final answer's head and what follows it; interim answers (`100 Continue`) are skipped. */
function splitHead(data: Buffer): { head: string; rest: Buffer } | undefined {
  let at = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) return undefined;
    const head = data.subarray(at, end).toString('latin1');
    if (/^HTTP\/1\.[01] 1\d\d/.test(head)) {
      at = end + 4;
      continue;
    }
    return { head, rest: data.subarray(end + 4) };
  }
}

function headersOf(head: string): Record<string, string[]> {
  const headers: Record<string, string[]> = Object.create(null);
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    headers[name] = [...(headers[name] ?? []), line.slice(i + 1).trim()];
  }
  return headers;
}

/** Whether `data` holds a whole answer (known length, or the last chunk). */
function complete(data: Buffer, noBody: boolean): boolean {
  const split = splitHead(data);
  if (!split) return false;
  if (noBody) return true;
  const headers = headersOf(split.head);
  const length = headers['content-length']?.[0];
  if (length !== undefined) return split.rest.length >= Number(length);
  if (headers['transfer-encoding']?.[0]?.toLowerCase() === 'chunked') {
    return split.rest.includes('\r\n0\r\n\r\n') || split.rest.subarray(0, 5).toString() === '0\r\n\r\n';
  }
  return false;
}

function parseResponse(data: Buffer, noBody: boolean): Omit<RawResponse, 'ms'> {
  const split = splitHead(data);
  if (!split) throw new Error(`not an HTTP answer: ${JSON.stringify(data.toString('latin1').slice(0, 200))}`);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(split.head)?.[1]);
  if (!Number.isInteger(status))
    throw new Error(`no status line: ${JSON.stringify(split.head.slice(0, 200))}`);
  const headers = headersOf(split.head);
  let body = noBody ? Buffer.alloc(0) : split.rest;
  if (!noBody && headers['transfer-encoding']?.[0]?.toLowerCase() === 'chunked') body = dechunk(split.rest);
  else if (!noBody && headers['content-length']?.[0] !== undefined) {
    body = split.rest.subarray(0, Number(headers['content-length'][0]));
  }
  return { status, headers, body: body.toString('utf8'), raw: data.toString('utf8') };
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = Number.parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}
