// Conversation affinity: the key, the bounded-load hash ring, and its use in route().
export * from './affinity.ts';
export * from './affinity-key.ts';
export * from './bounded-ring.ts';
