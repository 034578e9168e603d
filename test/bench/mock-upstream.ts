// A zero-latency OpenAI-compatible upstream for the proxy benchmark: answers every chat
// completion at once with a fixed body; a `stream: true` request gets an SSE stream of
// STREAM_CHUNKS chunks, the first after STREAM_TTFT_MS and each next STREAM_GAP_MS later (the
// streaming benchmark). Run as a child process; prints `READY <url>`.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const body = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 0,
  model: 'bench-model',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 8, completion_tokens: 1, total_tokens: 9 },
});

export const STREAM_TTFT_MS = 20;
export const STREAM_GAP_MS = 2;
export const STREAM_CHUNKS = 20;

const chunk = (delta: Record<string, unknown>, finish: string | null, usage?: unknown) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'bench-model',
    choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  })}\n\n`;

function stream(res: import('node:http').ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  let sent = 0;
  const next = () => {
    if (res.destroyed) return;
    if (sent < STREAM_CHUNKS) {
      res.write(chunk(sent === 0 ? { role: 'assistant', content: 'tok ' } : { content: 'tok ' }, null));
      sent++;
      setTimeout(next, STREAM_GAP_MS);
      return;
    }
    res.write(chunk({}, 'stop'));
    res.write(
      chunk({}, null, {
        prompt_tokens: 8,
        completion_tokens: STREAM_CHUNKS,
        total_tokens: 8 + STREAM_CHUNKS,
      }),
    );
    res.end('data: [DONE]\n\n');
  };
  setTimeout(next, STREAM_TTFT_MS);
}

const server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    if (/"stream"\s*:\s*true/.test(Buffer.concat(parts).toString('utf8'))) return stream(res);
    if (req.url?.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"object":"list","data":[{"id":"bench-model","object":"model"}]}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`READY http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
