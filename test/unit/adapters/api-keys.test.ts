import { generateApiKey, hashApiKey } from '@switchyard/adapters';
import { describe, expect, it } from 'vitest';

describe('API key helpers', () => {
  it('hashes with sha256 hex', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('generates prefixed base64url keys with 256 bits of randomness', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^sk-sy-[A-Za-z0-9_-]{43}$/);
    expect(generateApiKey('sk-admin-')).toMatch(/^sk-admin-[A-Za-z0-9_-]{43}$/);
    const many = new Set(Array.from({ length: 100 }, () => generateApiKey()));
    expect(many.size).toBe(100);
  });
});
