import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { startLocalStack } from '/work/main/infra/local/local-stack.ts';

const up = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      '{"id":"x","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}',
    );
  });
});
await new Promise<void>((r) => up.listen(0, '127.0.0.1', () => r()));
const port = (up.address() as any).port;
writeFileSync(
  '/tmp/bench.yaml',
  `models:
  - { id: bench-model, version: v1, tasks: [chat], context_window: 8192, regions: [us-east-1] }
endpoints:
  - { id: bench-upstream, model: bench-model, version: v1, kind: openai-http, target: "http://127.0.0.1:${port}/v1", region: us-east-1 }
policies:
  - { name: bench, match: { model: bench }, models: [bench-model], fallback: { count: 0 } }
local:
  endpoints:
    bench-upstream: { simulate: false }
`,
);
const stack = await startLocalStack({ schedules: false, logLevel: 'ERROR', registryFile: '/tmp/bench.yaml' });
const body = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 });
const h = { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' };
const go = async (n: number) => {
  for (let i = 0; i < n; i++)
    await fetch(`${stack.url}/v1/chat/completions`, { method: 'POST', headers: h, body }).then((r) =>
      r.text(),
    );
};
await go(50);
const t = performance.now();
await go(300);
console.log('sequential ms/req', (performance.now() - t) / 300);
const t3 = performance.now();
await Promise.all(Array.from({ length: 16 }, () => go(40)));
console.log('16-concurrent rps', 640 / ((performance.now() - t3) / 1000));
await stack.stop();
up.close();
process.exit(0);
