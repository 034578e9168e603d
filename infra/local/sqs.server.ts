// The local SQS API server: fauxqs, bound to loopback. fauxqs's own `startFauxqs` listens on
// 0.0.0.0 whatever its `host` option says (that option only names the queue URLs), which would
// put the stack's queues on every network the machine is on; this builds its app and listens on
// 127.0.0.1 itself.
import { buildApp } from 'fauxqs';

export interface SqsServer {
  url: string;
  port: number;
  /** The address the server listens on, as the OS reports it. */
  address: string;
  stop(): Promise<void>;
}

export async function startSqsServer(options: { port?: number; region: string }): Promise<SqsServer> {
  const app = buildApp({ logger: false, host: 'localhost', defaultRegion: options.region });
  await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const bound = app.server.address();
  if (bound === null || typeof bound === 'string') throw new Error('local SQS: no TCP address');
  return {
    url: `http://127.0.0.1:${bound.port}`,
    port: bound.port,
    address: bound.address,
    stop: () => app.close(),
  };
}
