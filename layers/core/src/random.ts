// Deterministic randomness for routing: a seeded PRNG (mulberry32) for reproducible decisions
// and tests, and a stable string hash (FNV-1a 32-bit with a murmur3 finaliser) for sticky canary
// assignment and the affinity hash ring. Pure functions; no global state.

/** A uniform [0, 1) generator seeded with a 32-bit integer (mulberry32): same seed, same draws. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over the string's UTF-16 code units, 32-bit unsigned. Stable across processes and releases. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A stable hash of `text` mapped to [0, 1): FNV-1a, then the murmur3 finaliser so that keys that
 * differ only in their last characters (`user-1`, `user-2`) still spread evenly.
 */
export function hashToUnit(text: string): number {
  return hash32(text) / 4294967296;
}

/** FNV-1a, then the murmur3 finaliser: a well-spread 32-bit unsigned hash (hash rings, sticky draws). */
export function hash32(text: string): number {
  return mix32(fnv1a32(text));
}

/** The murmur3 32-bit finaliser: every input bit affects every output bit. */
export function mix32(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
