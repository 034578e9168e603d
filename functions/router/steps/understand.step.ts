// Step 3b (request understanding, issue 12): what the prompt says, read once the registry is
// loaded (its `domains:` lexicons score the domains) and before the decision: the request gets
// `features` (core understanding/), which policies match on (`match.when`), infer task and domain
// from (`infer`) and fan out on (`ensemble.min_complexity`). Pure and bounded (the scan reads at
// most MAX_SCAN_CHARS characters); the prompt is only read, never kept or logged. Steps after
// this one (personal data) see the features on the request.
import type { CompiledRegistry, InferenceCall, RouteRequest } from '@switchyard/core';
import { withFeatures } from '@switchyard/core';

export function understandStep(
  request: RouteRequest,
  call: InferenceCall,
  registry: CompiledRegistry,
): RouteRequest {
  return withFeatures(request, call, registry);
}
