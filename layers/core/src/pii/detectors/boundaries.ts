// Small character tests shared by the detectors: what may stand next to a finding.

/** ASCII letter, digit or underscore at `i` (false outside the text). */
export function isWordAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** ASCII digit at `i` (false outside the text). */
export function isDigitAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** True when the text holds at least `n` ASCII digits (a cheap test before a digit pattern runs). */
export function hasDigits(text: string, n: number): boolean {
  let seen = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57 && ++seen >= n) return true;
  }
  return false;
}

/** Every match of a global pattern as [start, end, match], the pattern's lastIndex reset first. */
export function* matchesOf(pattern: RegExp, text: string): Generator<RegExpExecArray> {
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    if (m[0] === '') pattern.lastIndex++;
    yield m;
  }
}
