// What the simulated model endpoints answer: deterministic functions of the input and of the
// endpoint that served it, so tests can see who served and ensembles can vote. Chat echoes the
// last user message; sentiment/classification use a tiny keyword lexicon; embeddings are a
// fixed-dimension vector hashed from the text.

import type { ChatMessage } from '@switchyard/core';
import { estimatePromptTokens } from '@switchyard/core';

export const SIM_EMBEDDING_DIM = 16;
const ECHO_CHARS = 200;

/** FNV-1a, 32 bits: a stable hash for deterministic answers. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A request the simulated model could not accept (the container's 4xx). */
export class SimBadRequest extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.status = status;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function messageText(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  if (Array.isArray(message.content)) {
    return message.content
      .map((p) => {
        const text: unknown = p.text;
        return typeof text === 'string' ? text : '';
      })
      .join(' ');
  }
  return '';
}

export interface SimEndpointIdentity {
  id: string;
  upstream_model: string;
  /** Share (0..1) of texts on which this endpoint picks another label than the lexicon. */
  disagree_rate?: number;
  /** Answers chat `n > 1` with n choices (else a 400, as servers without `n` do). */
  supports_n?: boolean;
  /** Length of the embedding vectors (the model's). @default SIM_EMBEDDING_DIM */
  embedding_dimensions?: number;
}

/** Validates an OpenAI chat body the way a model server would. */
export function parseChatBody(body: unknown): {
  messages: ChatMessage[];
  maxTokens?: number;
  model?: string;
  n?: number;
} {
  if (!isRecord(body)) throw new SimBadRequest('the body must be a JSON object');
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new SimBadRequest('messages must be a non-empty array');
  }
  for (const m of messages) {
    if (!isRecord(m) || typeof m.role !== 'string') throw new SimBadRequest('each message needs a role');
  }
  const max = body.max_tokens ?? body.max_completion_tokens;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1)) {
    throw new SimBadRequest('max_tokens must be a positive integer');
  }
  const n = body.n ?? 1;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
    throw new SimBadRequest('n must be a positive integer');
  return {
    messages: messages as ChatMessage[],
    ...(n > 1 ? { n } : {}),
    ...(typeof max === 'number' ? { maxTokens: max } : {}),
    ...(typeof body.model === 'string' ? { model: body.model } : {}),
  };
}

export interface SimChatAnswer {
  content: string;
  finish_reason: 'stop' | 'length';
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  /** Choices asked for (n > 1); each is the content with ` #<i>` appended. */
  n?: number;
}

/** `[<endpoint>] echo: <last user message, truncated>`, cut to max_tokens (~4 chars a token). */
export function chatAnswer(
  endpoint: SimEndpointIdentity,
  chat: ReturnType<typeof parseChatBody>,
): SimChatAnswer {
  const lastUser = [...chat.messages].reverse().find((m) => m.role === 'user') ?? chat.messages.at(-1);
  const said = lastUser ? messageText(lastUser) : '';
  const full = `[${endpoint.id}] echo: ${said.length > ECHO_CHARS ? `${said.slice(0, ECHO_CHARS)}…` : said}`;
  const limit = chat.maxTokens === undefined ? Number.POSITIVE_INFINITY : chat.maxTokens * 4;
  const content = full.length > limit ? full.slice(0, limit) : full;
  if (chat.n !== undefined && endpoint.supports_n !== true) {
    throw new SimBadRequest(`[${endpoint.id}] n > 1 is not supported by this server`);
  }
  const prompt_tokens = estimatePromptTokens(chat.messages);
  const completion_tokens = Math.max(1, Math.ceil(content.length / 4)) * (chat.n ?? 1);
  return {
    ...(chat.n !== undefined ? { n: chat.n } : {}),
    content,
    finish_reason: content.length < full.length ? 'length' : 'stop',
    usage: { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens },
  };
}

export function openAiChatCompletion(endpoint: SimEndpointIdentity, answer: SimChatAnswer, seq: number) {
  return {
    id: `chatcmpl-sim-${endpoint.id}-${seq}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: endpoint.upstream_model,
    choices: Array.from({ length: answer.n ?? 1 }, (_, index) => ({
      index,
      message: { role: 'assistant', content: answer.n ? `${answer.content} #${index + 1}` : answer.content },
      finish_reason: answer.finish_reason,
    })),
    usage: answer.usage,
  };
}

/** The text of a task payload: a string, or `{text}` / `{inputs}` / `{input}`; else its JSON. */
export function textOf(inputs: unknown): string {
  if (typeof inputs === 'string') return inputs;
  if (Array.isArray(inputs)) return inputs.map(textOf).join(' ');
  if (isRecord(inputs)) {
    for (const key of ['text', 'inputs', 'input']) {
      if (typeof inputs[key] === 'string') return inputs[key] as string;
    }
  }
  return JSON.stringify(inputs) ?? '';
}

const POSITIVE = new Set([
  'good',
  'great',
  'excellent',
  'love',
  'loved',
  'happy',
  'fantastic',
  'wonderful',
  'amazing',
  'like',
  'best',
  'awesome',
  'pleased',
  'nice',
  'perfect',
  'fast',
  'helpful',
  'thanks',
]);
const NEGATIVE = new Set([
  'bad',
  'terrible',
  'awful',
  'hate',
  'hated',
  'sad',
  'horrible',
  'worst',
  'poor',
  'angry',
  'disappointed',
  'broken',
  'slow',
  'useless',
  'refund',
  'never',
  'problem',
]);
export const SENTIMENT_LABELS = ['positive', 'negative', 'neutral'] as const;

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** `{label, score}` from a keyword lexicon; `labels` (classification) are picked by mention. */
export function labelAnswer(
  endpoint: SimEndpointIdentity,
  text: string,
  labels?: readonly string[],
): { label: string; score: number } {
  const words: string[] = text.toLowerCase().match(/[a-z']+/g) ?? [];
  let label: string;
  let score: number;
  let candidates: readonly string[];
  if (labels && labels.length > 0) {
    candidates = labels;
    const mentioned = labels.find((l) => words.includes(l.toLowerCase()));
    label = mentioned ?? (labels[fnv1a(text) % labels.length] as string);
    score = mentioned ? 0.9 : 0.55;
  } else {
    candidates = SENTIMENT_LABELS;
    const pos = words.filter((w) => POSITIVE.has(w)).length;
    const neg = words.filter((w) => NEGATIVE.has(w)).length;
    label = pos > neg ? 'positive' : neg > pos ? 'negative' : 'neutral';
    score = 0.5 + (0.49 * Math.abs(pos - neg)) / (pos + neg + 1);
  }
  const rate = endpoint.disagree_rate ?? 0;
  if (rate > 0 && fnv1a(`${endpoint.id}\u0000${text}`) / 2 ** 32 < rate && candidates.length > 1) {
    label = candidates[(candidates.indexOf(label) + 1) % candidates.length] as string;
    score = 0.51;
  }
  return { label, score: round4(score) };
}

/**
 * A unit vector of `dims` numbers hashed from the text; with `shorten`, its first `shorten`
 * numbers scaled back to unit length (a Matryoshka model's shorter vector).
 */
export function embeddingOf(text: string, dims = SIM_EMBEDDING_DIM, shorten?: number): number[] {
  const raw = Array.from({ length: dims }, (_, i) => fnv1a(`${i}:${text}`) / 2 ** 31 - 1).slice(0, shorten);
  const norm = Math.hypot(...raw) || 1;
  return raw.map((x) => round4(x / norm));
}

const isTokens = (v: unknown): v is number[] =>
  Array.isArray(v) && v.length > 0 && v.every((t) => typeof t === 'number');

/** The texts of embedding inputs (a string, strings, a token array or token arrays) and their tokens. */
function embeddingTexts(input: unknown): Array<{ text: string; tokens: number }> {
  if (input === undefined || input === null) throw new SimBadRequest('input is required');
  const list = isTokens(input) || !Array.isArray(input) ? [input] : input;
  if (list.length === 0) throw new SimBadRequest('input must not be empty');
  return list.map((item) =>
    isTokens(item)
      ? { text: `tokens:${item.join(',')}`, tokens: item.length }
      : { text: textOf(item), tokens: Math.ceil(textOf(item).length / 4) },
  );
}

/** One vector per input, of the endpoint's dimensions (or `dimensions`, at most those). */
function embedAll(endpoint: SimEndpointIdentity, input: unknown, dimensions?: unknown) {
  const dims = endpoint.embedding_dimensions ?? SIM_EMBEDDING_DIM;
  if (dimensions !== undefined && dimensions !== null) {
    if (
      typeof dimensions !== 'number' ||
      !Number.isInteger(dimensions) ||
      dimensions < 1 ||
      dimensions > dims
    ) {
      throw new SimBadRequest(`dimensions must be an integer from 1 to ${dims}`);
    }
  }
  const texts = embeddingTexts(input);
  const shorten = typeof dimensions === 'number' ? dimensions : undefined;
  return { texts, vectors: texts.map((t) => embeddingOf(t.text, dims, shorten)) };
}

/** An OpenAI embeddings answer (`POST /v1/embeddings`). */
export function embeddingsAnswer(endpoint: SimEndpointIdentity, input: unknown, dimensions?: unknown) {
  const { texts, vectors } = embedAll(endpoint, input, dimensions);
  const prompt_tokens = texts.reduce((n, t) => n + t.tokens, 0);
  return {
    object: 'list',
    data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
    model: endpoint.upstream_model,
    usage: { prompt_tokens, total_tokens: prompt_tokens },
    served_by: endpoint.id,
  };
}

/** Text Embeddings Inference's `/embed` answer to `{"inputs": ...}`: a bare array of vectors. */
export function teiEmbedAnswer(endpoint: SimEndpointIdentity, inputs: unknown): number[][] {
  return embedAll(endpoint, inputs).vectors;
}

/** The answer to `{task, inputs}`: labels for sentiment/classification, vectors for embedding. */
export function taskAnswer(endpoint: SimEndpointIdentity, task: unknown, inputs: unknown): unknown {
  if (typeof task !== 'string' || task.length === 0) throw new SimBadRequest('task is required');
  if (inputs === undefined || inputs === null) throw new SimBadRequest('inputs is required');
  if (task === 'embedding') return embeddingsAnswer(endpoint, inputs);
  const text = textOf(inputs);
  if (task === 'sentiment' || task === 'classification') {
    const labels =
      isRecord(inputs) && Array.isArray(inputs.labels)
        ? inputs.labels.filter((l): l is string => typeof l === 'string')
        : undefined;
    return { ...labelAnswer(endpoint, text, labels), served_by: endpoint.id };
  }
  const output = `[${endpoint.id}] ${task}: ${text.length > ECHO_CHARS ? `${text.slice(0, ECHO_CHARS)}…` : text}`;
  return { task, output, served_by: endpoint.id };
}
