// The overhead bench's in-memory router measured alone in a fresh process (as a Lambda execution
// environment runs only its function): argv = the API Gateway event's JSON file, the number of
// requests, the number of warm-ups. Prints the per-request times (µs) as one JSON array.
import { readFileSync } from 'node:fs';
import { parseRegistryFile } from '@switchyard/adapters';
import { installAwsLambdaGlobal } from '../../infra/local/lambda-runtime.ts';
import {
  checkAnswer,
  invocation,
  invokeStreamed,
  memoryRouter,
  REGISTRY,
  streamedBody,
  time,
  zeroLatencyUpstream,
} from './overhead.router.ts';

const [file, requests, warmups] = process.argv.slice(2);
if (!file) throw new Error('usage: overhead.child.ts <event.json> <requests> <warmups>');
installAwsLambdaGlobal();
const router = await memoryRouter(parseRegistryFile(REGISTRY, 'bench').registry, zeroLatencyUpstream);
const handler = router.handler as unknown as Parameters<typeof invokeStreamed>[0];
const eventJson = readFileSync(file, 'utf8');
const first = invocation(eventJson);
await invokeStreamed(handler, first);
checkAnswer(streamedBody(first));
const samples = await time(
  eventJson,
  Number(requests),
  Number(warmups),
  (call) => invokeStreamed(handler, call),
  streamedBody,
);
router.stop();
// Exit once the pipe has taken it all (the reporters' timers would keep the process alive).
process.stdout.write(`${JSON.stringify(samples)}\n`, () => process.exit(0));
