// The one problem a 400 reports for invalid caller input: the first zod issue, with unions
// resolved to the branch that got furthest (so `messages.0.content.1.type` is named, not
// "Invalid input" on `messages`), as the OpenAI error's `param` and a message naming it.
import type * as z from 'zod';

export interface InputProblem {
  /** Dotted path of the offending field (`messages.0.role`), or null for the whole value. */
  param: string | null;
  message: string;
}

type Issue = z.core.$ZodIssue;

export function inputProblem(error: z.ZodError): InputProblem {
  let issue: Issue | undefined = error.issues[0];
  let path: PropertyKey[] = [];
  let message = issue?.message ?? 'invalid value';
  while (issue) {
    path = [...path, ...issue.path];
    message = issue.message;
    if (issue.code === 'invalid_key') {
      // A record key the key schema refused: its reason, not "Invalid key in record".
      message = issue.issues[0]?.message ?? message;
      break;
    }
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) break;
    const branches = issue.errors;
    const furthest = branches.reduce((best, b) => (depthOf(b) > depthOf(best) ? b : best));
    if (depthOf(furthest) === 0) {
      // Every branch failed on the value itself: say which types would do.
      const expected = [...new Set(branches.flatMap((b) => b.map(expectedOf)).filter((e) => e !== ''))];
      if (expected.length > 0) message = `expected ${expected.join(' or ')}`;
      break;
    }
    issue = furthest.reduce((a, b) => (b.path.length > a.path.length ? b : a));
  }
  const param = path.length > 0 ? path.map(String).join('.') : null;
  return { param, message: param ? `${param}: ${message}` : message };
}

function depthOf(issues: readonly Issue[]): number {
  return issues.reduce((max, i) => Math.max(max, i.path.length), 0);
}

function expectedOf(issue: Issue): string {
  if (issue.code === 'invalid_type') return String(issue.expected);
  if (issue.code === 'invalid_value') return issue.values.map((v) => JSON.stringify(v)).join(' or ');
  return '';
}
