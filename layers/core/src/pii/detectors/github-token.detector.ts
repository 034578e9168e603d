// GitHub tokens: classic personal access, OAuth, user-to-server, server-to-server and refresh
// tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` + 36 or more base-62 characters) and
// fine-grained personal access tokens (`github_pat_` + 82 base-62 characters and underscores). Hard negatives: short
// look-alikes, `ghp_` in prose.
import type { PiiDetector, PiiSpan } from '../pii.types.ts';
import { matchesOf } from './boundaries.ts';

const TOKEN =
  /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{50,255})(?![A-Za-z0-9_])/g;

export const githubTokenDetector: PiiDetector = {
  type: 'github_token',
  detect(text) {
    if (!text.includes('_')) return [];
    const spans: PiiSpan[] = [];
    for (const m of matchesOf(TOKEN, text))
      spans.push({ type: 'github_token', start: m.index, end: m.index + m[0].length });
    return spans;
  },
};
