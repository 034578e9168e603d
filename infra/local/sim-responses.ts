// What the simulated model endpoints answer: deterministic functions of the input and of the
// endpoint that served it, so tests can see who served and ensembles can vote. Chat echoes the
// last user message (n choices where the endpoint supports n); sentiment/classification use a
// tiny keyword lexicon; embeddings are a unit vector of the model's dimensions hashed from the
// text (or token ids), shortened for `dimensions`.

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

/**
 * `[<endpoint>] echo: <last user message, truncated>`, cut to max_tokens (~4 chars a token). A
 * conversation ending with an assistant message asks to continue it (a resumed stream): the
 * answer is the rest of the echo after what that message already says (the `[<endpoint>] ` of
 * whoever wrote it set aside), so the two read as one answer.
 */
export function chatAnswer(
  endpoint: SimEndpointIdentity,
  chat: ReturnType<typeof parseChatBody>,
): SimChatAnswer {
  if (chat.n !== undefined && endpoint.supports_n !== true) {
    throw new SimBadRequest(`[${endpoint.id}] n > 1 is not supported by this server`);
  }
  const lastUser = [...chat.messages].reverse().find((m) => m.role === 'user') ?? chat.messages.at(-1);
  const said = lastUser ? messageText(lastUser) : '';
  const echo = `echo: ${said.length > ECHO_CHARS ? `${said.slice(0, ECHO_CHARS)}…` : said}`;
  const last = chat.messages.at(-1);
  const prefix = last?.role === 'assistant' ? messageText(last) : undefined;
  if (prefix !== undefined && prefix !== '') {
    const written = prefix.replace(/^\[[^\]]*\] ?/, '');
    const content = echo.startsWith(written) ? echo.slice(written.length) : ` ${echo}`;
    return answerOf(chat.messages, content, 'stop', chat.n);
  }
  const full = `[${endpoint.id}] ${echo}`;
  const limit = chat.maxTokens === undefined ? Number.POSITIVE_INFINITY : chat.maxTokens * 4;
  const content = full.length > limit ? full.slice(0, limit) : full;
  return answerOf(chat.messages, content, content.length < full.length ? 'length' : 'stop', chat.n);
}

function answerOf(
  messages: readonly ChatMessage[] | number,
  content: string,
  finish_reason: SimChatAnswer['finish_reason'],
  n?: number,
): SimChatAnswer {
  const prompt_tokens = typeof messages === 'number' ? messages : estimatePromptTokens(messages);
  const completion_tokens = Math.max(1, Math.ceil(content.length / 4)) * (n ?? 1);
  return {
    ...(n !== undefined ? { n } : {}),
    content,
    finish_reason,
    usage: { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens },
  };
}

/** Validates an OpenAI legacy completion body the way a model server would. */
export function parseCompletionBody(body: unknown): { prompts: string[]; maxTokens?: number } {
  if (!isRecord(body)) throw new SimBadRequest('the body must be a JSON object');
  const prompt = body.prompt;
  let prompts: string[];
  if (typeof prompt === 'string') prompts = [prompt];
  else if (Array.isArray(prompt) && prompt.length > 0 && prompt.every((p) => typeof p === 'string')) {
    prompts = prompt as string[];
  } else if (Array.isArray(prompt) && prompt.length > 0 && prompt.every((p) => typeof p === 'number')) {
    prompts = [`<${prompt.length} tokens>`];
  } else if (Array.isArray(prompt) && prompt.length > 0 && prompt.every(Array.isArray)) {
    prompts = prompt.map((p) => `<${(p as unknown[]).length} tokens>`);
  } else throw new SimBadRequest('prompt must be a string, an array of strings or of token arrays');
  const max = body.max_tokens;
  if (max !== undefined && max !== null && (typeof max !== 'number' || !Number.isInteger(max) || max < 1)) {
    throw new SimBadRequest('max_tokens must be a positive integer');
  }
  return { prompts, ...(typeof max === 'number' ? { maxTokens: max } : {}) };
}

/** One answer per prompt: `[<endpoint>] completes: <prompt, truncated>`, cut to max_tokens. */
export function completionAnswer(
  endpoint: SimEndpointIdentity,
  completion: ReturnType<typeof parseCompletionBody>,
): SimChatAnswer[] {
  return completion.prompts.map((prompt) => {
    const full = `[${endpoint.id}] completes: ${prompt.length > ECHO_CHARS ? `${prompt.slice(0, ECHO_CHARS)}…` : prompt}`;
    const limit = completion.maxTokens === undefined ? Number.POSITIVE_INFINITY : completion.maxTokens * 4;
    const content = full.length > limit ? full.slice(0, limit) : full;
    return answerOf(Math.ceil(prompt.length / 4), content, content.length < full.length ? 'length' : 'stop');
  });
}

export function openAiTextCompletion(endpoint: SimEndpointIdentity, answers: SimChatAnswer[], seq: number) {
  const prompt_tokens = answers.reduce((n, a) => n + a.usage.prompt_tokens, 0);
  const completion_tokens = answers.reduce((n, a) => n + a.usage.completion_tokens, 0);
  return {
    id: `cmpl-sim-${endpoint.id}-${seq}`,
    object: 'text_completion',
    created: Math.floor(Date.now() / 1000),
    model: endpoint.upstream_model,
    choices: answers.map((a, index) => ({
      index,
      text: a.content,
      logprobs: null,
      finish_reason: a.finish_reason,
    })),
    usage: { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens },
  };
}

/** A text in the pieces a stream sends it in: a word and the space after it each. */
export const streamPieces = (text: string): string[] => text.split(/(?<= )/).filter((w) => w !== '');

const sse = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;

/** An OpenAI chat stream of `answer`: the role chunk, a chunk a word, the finish, usage, `[DONE]`. */
export function chatChunkFrames(
  completion: { id: string; created: number; model: string },
  answer: SimChatAnswer,
  includeUsage: boolean,
): string[] {
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    sse({
      id: completion.id,
      object: 'chat.completion.chunk',
      created: completion.created,
      model: completion.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
  return [
    chunk({ role: 'assistant', content: '' }, null),
    ...streamPieces(answer.content).map((w) => chunk({ content: w }, null)),
    chunk({}, answer.finish_reason),
    ...(includeUsage
      ? [
          sse({
            id: completion.id,
            object: 'chat.completion.chunk',
            created: completion.created,
            model: completion.model,
            choices: [],
            usage: answer.usage,
          }),
        ]
      : []),
    'data: [DONE]\n\n',
  ];
}

/** An OpenAI completion stream: a chunk a word of each choice, their finishes, usage, `[DONE]`. */
export function completionChunkFrames(
  completion: { id: string; created: number; model: string },
  answers: SimChatAnswer[],
  includeUsage: boolean,
): string[] {
  const chunk = (index: number, text: string, finish: string | null) =>
    sse({
      id: completion.id,
      object: 'text_completion',
      created: completion.created,
      model: completion.model,
      choices: [{ index, text, logprobs: null, finish_reason: finish }],
    });
  const frames: string[] = [];
  answers.forEach((a, index) => {
    for (const w of streamPieces(a.content)) frames.push(chunk(index, w, null));
    frames.push(chunk(index, '', a.finish_reason));
  });
  if (includeUsage) {
    const prompt_tokens = answers.reduce((n, a) => n + a.usage.prompt_tokens, 0);
    const completion_tokens = answers.reduce((n, a) => n + a.usage.completion_tokens, 0);
    frames.push(
      sse({
        id: completion.id,
        object: 'text_completion',
        created: completion.created,
        model: completion.model,
        choices: [],
        usage: { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens },
      }),
    );
  }
  frames.push('data: [DONE]\n\n');
  return frames;
}

/** TGI's token stream (`data:{"token":…}`), the last event with `generated_text` and `details`. */
export function tgiTokenFrames(answer: SimChatAnswer | SimChatAnswer[]): string[] {
  const a = Array.isArray(answer) ? (answer[0] as SimChatAnswer) : answer;
  const pieces = streamPieces(a.content);
  return pieces.map((text, i) => {
    const last = i === pieces.length - 1;
    return `data:${JSON.stringify({
      index: i,
      token: { id: 1000 + i, text, logprob: -0.1, special: false },
      generated_text: last ? a.content : null,
      details: last
        ? {
            finish_reason: a.finish_reason === 'length' ? 'length' : 'eos_token',
            generated_tokens: pieces.length,
          }
        : null,
    })}\n\n`;
  });
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
