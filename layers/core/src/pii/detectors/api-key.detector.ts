// API keys of the common providers by their published prefixes: OpenAI (`sk-`, `sk-proj-`),
// Anthropic (`sk-ant-`), Stripe (`sk_live_`, `rk_test_`...), Slack (`xoxb-`...), Google
// (`AIza` + 35), SendGrid (`SG.x.y`). A generic `sk-` key needs 20+ characters with letters
// and digits. Hard negatives: `sk-learn`, `task-force`, `risk-free`, `AIza` cut short.
import type { PiiDetector, PiiSpan } from '../pii.types.ts';
import { matchesOf } from './boundaries.ts';

const KEYS =
  /(?<![\w-])(?:sk-(?:ant-|proj-|svcacct-)?[A-Za-z0-9_-]{20,200}|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,200}|xox[abeprs]-[A-Za-z0-9-]{10,200}|AIza[0-9A-Za-z_-]{35}|SG\.[\w-]{22}\.[\w-]{43})(?![\w-])/g;

const PREFIX = /^(?:sk-(?:ant-|proj-|svcacct-)?|(?:sk|rk|pk)_(?:live|test)_|xox[abeprs]-|AIza|SG\.)/;

export const apiKeyDetector: PiiDetector = {
  type: 'api_key',
  detect(text) {
    const spans: PiiSpan[] = [];
    for (const m of matchesOf(KEYS, text)) {
      const key = m[0];
      // A key is random: letters and digits both (`sk-` followed by words is prose).
      const body = key.replace(PREFIX, '');
      if (!/\d/.test(body) || !/[A-Za-z]/.test(body)) continue;
      spans.push({ type: 'api_key', start: m.index, end: m.index + key.length });
    }
    return spans;
  },
};
