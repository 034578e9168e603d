// Embedding vectors on the wire as OpenAI encodes them: `float` is the JSON array of numbers;
// `base64` is the vector's little-endian IEEE 754 float32 bytes, base64-encoded (standard
// alphabet, `=` padding), as OpenAI's API answers and its SDKs decode (openai-node's
// toFloat32Array). Pure: a DataView fixes the byte order whatever the platform's.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The little-endian float32 bytes of `vector` (each number rounded to the nearest float32). */
export function float32LeBytes(vector: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i] as number, true);
  return bytes;
}

const CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const PAD = 61; // '='
const ASCII = new TextDecoder('latin1');

/**
 * Standard base64 with padding. The characters are written as bytes and decoded once (string
 * concatenation per character is ten times slower on a 2048 x 512 answer; see the bench).
 */
export function base64Of(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let i = 0;
  let k = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out[k++] = CODES[n >> 18] as number;
    out[k++] = CODES[(n >> 12) & 63] as number;
    out[k++] = CODES[(n >> 6) & 63] as number;
    out[k++] = CODES[n & 63] as number;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = ((bytes[i] as number) << 16) | (rest === 2 ? (bytes[i + 1] as number) << 8 : 0);
    out[k++] = CODES[n >> 18] as number;
    out[k++] = CODES[(n >> 12) & 63] as number;
    out[k++] = rest === 2 ? (CODES[(n >> 6) & 63] as number) : PAD;
    out[k++] = PAD;
  }
  return ASCII.decode(out);
}

/** A vector as OpenAI's `encoding_format: "base64"` sends it. */
export function encodeEmbeddingBase64(vector: readonly number[]): string {
  return base64Of(float32LeBytes(vector));
}

/**
 * The vector in a base64 float32 embedding (what an upstream may answer), or undefined when the
 * text is not base64 of a whole number of float32s.
 */
export function decodeEmbeddingBase64(text: string): number[] | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return undefined;
  const clean = text.replace(/=+$/, '');
  const bytes = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let k = 0;
  for (let i = 0; i < clean.length; i++) {
    // At most 7 bits are left over before 6 more come in: 13 bits are all that matter.
    acc = ((acc << 6) | ALPHABET.indexOf(clean[i] as string)) & 0x3fff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[k++] = (acc >> bits) & 255;
    }
  }
  if (bytes.length % 4 !== 0) return undefined;
  const view = new DataView(bytes.buffer);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}
