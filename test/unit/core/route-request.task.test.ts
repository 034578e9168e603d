// The task a chat or legacy completion body is routed by: the task hint (body over header), else
// the route's own task; a task with a route of its own (`embedding`) is a 400 invalid_hint naming
// the hint that set it (`x-switchyard.task` or the `x-switchyard-task` header), before routing, so
// a chat body never reaches an embeddings-only policy such as the example's `auto-embedding`.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chatRouteRequest,
  completionRouteRequest,
  InvalidRequestError,
  KNOWN_TASKS,
  OWN_ROUTE_TASKS,
} from '../../../layers/core/src/index.ts';

const tenant = { id: 't' };
const chat = (hints?: { task?: string }) => ({
  model: 'auto',
  messages: [{ role: 'user' as const, content: 'hello' }],
  ...(hints ? { 'x-switchyard': hints } : {}),
});
const completion = (hints?: { task?: string }) => ({
  model: 'auto',
  prompt: 'hello',
  ...(hints ? { 'x-switchyard': hints } : {}),
});

function invalid(fn: () => unknown): InvalidRequestError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidRequestError) return err;
    throw err;
  }
  throw new Error('expected InvalidRequestError');
}

describe('the task of a chat or completion body', () => {
  it('is the route task without a hint, and the hint otherwise', () => {
    expect(chatRouteRequest(chat(), {}, tenant).task).toBe('chat');
    expect(completionRouteRequest(completion(), {}, tenant).task).toBe('completion');
    expect(chatRouteRequest(chat({ task: 'code' }), {}, tenant).task).toBe('code');
    expect(chatRouteRequest(chat(), { 'x-switchyard-task': 'summarization' }, tenant).task).toBe(
      'summarization',
    );
    expect(completionRouteRequest(completion({ task: 'code' }), {}, tenant).task).toBe('code');
  });

  it('names only `embedding` a task of another route (a near name is just a task)', () => {
    expect([...OWN_ROUTE_TASKS]).toEqual([['embedding', 'POST /v1/embeddings']]);
    expect(chatRouteRequest(chat({ task: 'embeddings' }), {}, tenant).task).toBe('embeddings');
    expect(chatRouteRequest(chat({ task: 'embedding-x' }), {}, tenant).task).toBe('embedding-x');
  });

  it('a chat body with the body hint task `embedding` is a 400 naming x-switchyard.task', () => {
    const err = invalid(() => chatRouteRequest(chat({ task: 'embedding' }), {}, tenant));
    expect(err.status).toBe(400);
    expect(err.type).toBe('invalid_request_error');
    expect(err.param).toBe('x-switchyard.task');
    expect(err.code).toBe('invalid_hint');
    expect(err.message).toBe(
      'x-switchyard.task: task "embedding" is not valid for a chat completion; send it to POST /v1/embeddings',
    );
  });

  it('a chat body with the header hint `embedding` is a 400 naming the header, in any case', () => {
    const err = invalid(() => chatRouteRequest(chat(), { 'X-Switchyard-Task': 'embedding' }, tenant));
    expect(err.param).toBe('x-switchyard-task');
    expect(err.code).toBe('invalid_hint');
    expect(err.message).toBe(
      'x-switchyard-task: task "embedding" is not valid for a chat completion; send it to POST /v1/embeddings',
    );
  });

  it('the body hint wins over the header, either way', () => {
    expect(chatRouteRequest(chat({ task: 'code' }), { 'x-switchyard-task': 'embedding' }, tenant).task).toBe(
      'code',
    );
    const err = invalid(() =>
      chatRouteRequest(chat({ task: 'embedding' }), { 'x-switchyard-task': 'code' }, tenant),
    );
    expect(err.param).toBe('x-switchyard.task');
  });

  it('a completion body with the task `embedding` is a 400 too', () => {
    const body = invalid(() => completionRouteRequest(completion({ task: 'embedding' }), {}, tenant));
    expect(body.param).toBe('x-switchyard.task');
    expect(body.message).toBe(
      'x-switchyard.task: task "embedding" is not valid for a completion; send it to POST /v1/embeddings',
    );
    const header = invalid(() =>
      completionRouteRequest(completion(), { 'x-switchyard-task': 'embedding' }, tenant),
    );
    expect(header.param).toBe('x-switchyard-task');
  });

  it('property: a chat request is never routed by `embedding`; every other task hint is kept', () => {
    const task = fc.oneof(fc.constantFrom(...KNOWN_TASKS), fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/));
    fc.assert(
      fc.property(task, fc.boolean(), (t, inHeader) => {
        const run = () =>
          inHeader
            ? chatRouteRequest(chat(), { 'x-switchyard-task': t }, tenant)
            : chatRouteRequest(chat({ task: t }), {}, tenant);
        if (t === 'embedding') {
          expect(invalid(run).param).toBe(inHeader ? 'x-switchyard-task' : 'x-switchyard.task');
        } else {
          expect(run().task).toBe(t);
        }
      }),
    );
  });
});
