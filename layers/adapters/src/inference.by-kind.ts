// Dispatches each call to the InferenceClient for the target's endpoint kind.
import type {
  EndpointKind,
  InferenceCall,
  InferenceClient,
  InferenceResult,
  PlanTarget,
} from '@switchyard/core';

export class InferenceClientByKind implements InferenceClient {
  readonly #clients: Readonly<Record<EndpointKind, InferenceClient>>;

  constructor(clients: Readonly<Record<EndpointKind, InferenceClient>>) {
    this.#clients = clients;
  }

  invoke(target: PlanTarget, call: InferenceCall, signal: AbortSignal): Promise<InferenceResult> {
    return this.#clients[target.kind].invoke(target, call, signal);
  }
}
