// Request understanding (issue 12): features read from the prompt, in microseconds, and the
// policy conditions and inference that use them. See extract-features.ts for each feature and
// its cost.
import type { CompiledRegistry } from '../compile.ts';
import type { InferenceCall } from '../ports.ts';
import type { RouteRequest } from '../route.types.ts';
import { extractFeatures } from './extract-features.ts';
import type { Lexicon } from './lexicon.ts';
import { compileLexicon } from './lexicon.ts';
import { promptOf } from './prompt-source.ts';

export * from './conditions.ts';
export * from './extract-features.ts';
export * from './features.types.ts';
export * from './lexicon.ts';
export * from './prompt-source.ts';
export * from './understand-request.ts';

const lexicons = new WeakMap<CompiledRegistry, Lexicon>();

/** The registry's lexicon (built-in cues and its `domains:`), compiled on first use and kept. */
export function lexiconOf(registry: CompiledRegistry): Lexicon {
  let lexicon = lexicons.get(registry);
  if (!lexicon) {
    lexicon = compileLexicon(registry.registry.domains);
    lexicons.set(registry, lexicon);
  }
  return lexicon;
}

/** The request with the features of the call's prompt (the router's understand step, durable jobs). */
export function withFeatures(
  request: RouteRequest,
  call: InferenceCall,
  registry: CompiledRegistry,
): RouteRequest {
  return {
    ...request,
    features: extractFeatures(promptOf(call), request.prompt_tokens, lexiconOf(registry)),
  };
}
