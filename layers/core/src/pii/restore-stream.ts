// A redacted request's stream, restored: each choice's text goes through its own StreamRestorer
// (redaction.ts), and what one still holds back goes out as a chunk just before that choice's
// finish (or, for a stream that failed or was left, before the error or the end).
import type { StreamEvent } from '../stream-plan.ts';
import type { PiiVault, StreamRestorer } from './redaction.ts';

export async function* restoreStream(
  events: AsyncIterable<StreamEvent>,
  vault: PiiVault,
): AsyncGenerator<StreamEvent> {
  const restorers = new Map<number, StreamRestorer>();
  const flushed = (index: number): StreamEvent | undefined => {
    const rest = restorers.get(index)?.flush() ?? '';
    return rest === ''
      ? undefined
      : { type: 'chunk', chunk: index === 0 ? { text: rest } : { index, text: rest } };
  };
  for await (const event of events) {
    if (event.type === 'chunk' && event.chunk.text !== undefined) {
      const index = event.chunk.index ?? 0;
      let r = restorers.get(index);
      if (!r) {
        r = vault.streamRestorer();
        restorers.set(index, r);
      }
      const text = r.push(event.chunk.text);
      const { text: _raw, ...rest } = event.chunk;
      if (text === '' && Object.keys(rest).every((k) => k === 'index')) continue;
      yield { type: 'chunk', chunk: text === '' ? rest : { ...rest, text } };
      continue;
    }
    if (event.type === 'finish') {
      const tail = flushed(event.index);
      if (tail) yield tail;
    } else if (event.type === 'error' || event.type === 'usage') {
      for (const index of restorers.keys()) {
        const tail = flushed(index);
        if (tail) yield tail;
      }
    }
    yield event;
  }
  for (const index of restorers.keys()) {
    const tail = flushed(index);
    if (tail) yield tail;
  }
}
