// The local feedback simulator (`npm start -- --simulate-feedback`): sends chat requests to the
// local API with `model: auto` and scores each answer with POST /v1/feedback from the hidden
// quality of the model that answered (the registry file's `local.quality`, default 0.5) plus
// noise, so a learned policy's traffic split moves on the dashboard as the refit learns.
// Randomness is an argument (seeded in tests).

export interface FeedbackSimulatorOptions {
  url: string;
  key: string;
  /** Hidden quality by model id. */
  quality: Readonly<Record<string, number>>;
  random: () => number;
  /** The alias requests go to. @default 'auto' */
  model?: string;
  /** Score noise: uniform ±noise around the hidden quality. @default 0.1 */
  noise?: number;
}

export interface SimulatedRound {
  /** Answers by model id (`x-switchyard-model` without the version). */
  served: Record<string, number>;
  failed: number;
}

const PROMPTS = [
  'Summarise this paragraph in one sentence: the meeting moved to Tuesday.',
  'Classify the sentiment of: great service, slow delivery.',
  'Extract the date from: invoice due 2026-12-01.',
  'Translate to French: good morning.',
];

/** Sends `requests` requests, one after another, each scored; resolves to who served them. */
export async function simulateFeedback(
  options: FeedbackSimulatorOptions,
  requests: number,
): Promise<SimulatedRound> {
  const served: Record<string, number> = {};
  let failed = 0;
  const headers = { authorization: `Bearer ${options.key}`, 'content-type': 'application/json' };
  for (let i = 0; i < requests; i++) {
    const prompt = PROMPTS[Math.floor(options.random() * PROMPTS.length)] as string;
    const res = await fetch(`${options.url}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        model: options.model ?? 'auto',
        messages: [{ role: 'user', content: prompt }],
        max_tokens: 32,
      }),
    });
    await res.arrayBuffer();
    const id = res.headers.get('x-request-id');
    const model = res.headers.get('x-switchyard-model')?.split('@')[0];
    if (res.status !== 200 || !id || !model) {
      failed++;
      continue;
    }
    served[model] = (served[model] ?? 0) + 1;
    const noise = options.noise ?? 0.1;
    const q = options.quality[model] ?? 0.5;
    const score = Math.min(1, Math.max(0, q + (options.random() * 2 - 1) * noise));
    const fb = await fetch(`${options.url}/v1/feedback`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ request_id: id, score }),
    });
    await fb.arrayBuffer();
    if (fb.status !== 200) failed++;
  }
  return { served, failed };
}

/** Runs rounds of `batch` requests until stopped (npm start); errors go to `onError`. */
export function startFeedbackSimulator(
  options: FeedbackSimulatorOptions & { batch?: number; pauseMs?: number; onError?: (err: unknown) => void },
): { stop(): void } {
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      await simulateFeedback(options, options.batch ?? 10).catch((err: unknown) => options.onError?.(err));
      await new Promise((r) => setTimeout(r, options.pauseMs ?? 500).unref());
    }
  };
  void loop();
  return {
    stop() {
      stopped = true;
    },
  };
}
