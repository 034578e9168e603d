// Conversation affinity in route(): the policy's strategy chooses the model (its primary's model
// version), affinity chooses the replica. Among the regular candidates of that model version
// (what survived every hard constraint, health and circuits), the request goes to the replica
// its affinity key (affinity-key.ts) maps to on the model's hash ring, with bounded loads
// (bounded-ring.ts): the in-flight figures are the candidates' (the snapshot's shared counts
// with fresh health, plus this router's own), and a replica at its bound passes the request on
// clockwise. The chosen replica becomes the primary; the rest keeps the strategy's order, so
// the fallbacks (another replica first, with same-model-first) are the strategy's.
// So affinity yields to everything else: a replica that is excluded, down or has its circuit
// open is not a candidate and the ring walks past it (its conversations move to the next
// replica, and only they do); a request without a key keeps the strategy's primary.
// With a key, the strategy's random draws come from a generator seeded by the key, so a
// strategy that draws (weighted) picks the same model for every turn while the figures stay
// alike, and deterministic strategies are unchanged.
// The explanation says where the key came from, never its value (a conversation key is a hash
// of the prompt), and which replicas the walk passed over and why.
import type { CompiledModel, CompiledRegistry } from '../compile.ts';
import { hash32, seededRandom } from '../random.ts';
import type { Affinity } from '../registry.schema.ts';
import type { AffinityExplanation } from '../route.types.ts';
import type { AffinityKey } from './affinity-key.ts';
import { HashRing, pickOnRing, SKIP_OVER_BOUND } from './bounded-ring.ts';

/** The ring of each model version and the model of each registry slot, built once per registry. */
interface AffinityIndex {
  /** Index into registry.models of the model version of each slot. */
  readonly modelOf: Int32Array;
  /** Position of each slot among its model version's endpoints. */
  readonly memberOf: Int32Array;
  readonly rings: Array<HashRing | undefined>;
}

const indexes = new WeakMap<CompiledRegistry, AffinityIndex>();

function indexOf(registry: CompiledRegistry): AffinityIndex {
  let index = indexes.get(registry);
  if (!index) {
    const modelOf = new Int32Array(registry.endpointCount).fill(-1);
    const memberOf = new Int32Array(registry.endpointCount).fill(-1);
    registry.models.forEach((cm, mi) => {
      cm.slots.forEach((s, j) => {
        modelOf[s] = mi;
        memberOf[s] = j;
      });
    });
    index = { modelOf, memberOf, rings: [] };
    indexes.set(registry, index);
  }
  return index;
}

function ringOf(index: AffinityIndex, cm: CompiledModel, mi: number): HashRing {
  let ring = index.rings[mi];
  if (!ring) {
    ring = new HashRing(cm.endpoints.map((e) => ({ id: e.id, weight: e.weight })));
    index.rings[mi] = ring;
  }
  return ring;
}

/** The strategy's random draws for a request with an affinity key: seeded by the key. */
export const affinityRandom = (key: AffinityKey): (() => number) => seededRandom(hash32(key.key));

export interface AffinityInput {
  readonly registry: CompiledRegistry;
  readonly settings: Affinity;
  readonly key: AffinityKey | undefined;
  /** The strategy's ranked head, primary first (regular candidates only). */
  readonly order: readonly number[];
  /** Number of regular candidates. */
  readonly count: number;
  /** Registry slot and requests in flight of each candidate. */
  readonly slot: ArrayLike<number>;
  readonly inflight: ArrayLike<number>;
}

export interface AffinityResult {
  order: readonly number[];
  explanation: AffinityExplanation;
}

let load = new Float64Array(0);
let eligible = new Uint8Array(0);
let candidateOf = new Int32Array(0);

/** Reorders `order` so that the affinity replica leads (see the module header). */
export function applyAffinity(input: AffinityInput): AffinityResult {
  const { registry, settings, key, order, count, slot, inflight } = input;
  const epsilon = settings.epsilon;
  const endpoints = registry.registry.endpoints;
  const first = order[0] as number;
  const strategyChoice = endpoints[slot[first] as number]?.id as string;
  const base = { key: key?.source ?? ('none' as const), epsilon, strategy_choice: strategyChoice };
  if (!key) {
    return {
      order,
      explanation: {
        ...base,
        applied: false,
        reason: 'no affinity key (no sticky_key, user or user message): the strategy chose',
      },
    };
  }
  const index = indexOf(registry);
  const mi = index.modelOf[slot[first] as number] as number;
  const cm = registry.models[mi] as CompiledModel;
  const ring = ringOf(index, cm, mi);
  const m = cm.endpoints.length;
  if (load.length < m) {
    const size = Math.max(64, 2 ** Math.ceil(Math.log2(m)));
    load = new Float64Array(size);
    eligible = new Uint8Array(size);
    candidateOf = new Int32Array(size);
  }
  eligible.fill(0, 0, m);
  load.fill(0, 0, m);
  for (let i = 0; i < count; i++) {
    const s = slot[i] as number;
    if (index.modelOf[s] !== mi) continue;
    const j = index.memberOf[s] as number;
    eligible[j] = 1;
    load[j] = inflight[i] as number;
    candidateOf[j] = i;
  }
  const pick = pickOnRing(ring, hash32(key.key), load, eligible, epsilon);
  const skipped = pick.skipped.map((j, k) => {
    const id = cm.endpoints[j]?.id as string;
    return pick.skippedWhy[k] === SKIP_OVER_BOUND
      ? {
          endpoint: id,
          reason: 'over-bound' as const,
          inflight: load[j] as number,
          bound: pick.skippedBound[k] as number,
        }
      : { endpoint: id, reason: 'not-a-candidate' as const };
  });
  if (pick.member < 0) {
    return {
      order,
      explanation: {
        ...base,
        applied: false,
        skipped,
        reason:
          ring.points.length === 0
            ? `no replica of ${cm.key} has a weight, so none is on the ring: the strategy chose`
            : `no replica of ${cm.key} on the ring has room: the strategy chose`,
      },
    };
  }
  const chosen = candidateOf[pick.member] as number;
  const endpoint = cm.endpoints[pick.member]?.id as string;
  const explanation: AffinityExplanation = {
    ...base,
    applied: true,
    endpoint,
    inflight: load[pick.member] as number,
    bound: pick.bound,
    skipped,
    reason:
      skipped.length === 0
        ? `the key's replica on the ${cm.key} ring, within its load bound`
        : `the first replica on the ${cm.key} ring with room (${skipped.length} passed over)`,
  };
  if (chosen === first) return { order, explanation };
  const next = [chosen];
  for (const i of order) if (i !== chosen) next.push(i);
  return { order: next, explanation };
}
