// The local stack's address and keys for shells: `npm start` writes them to .switchyard/local.env
// (gitignored; the file 0600 in a 0700 directory, as it holds secrets) as `export` lines, so every
// README snippet runs as written after `source .switchyard/local.env`; the file is removed when
// the stack stops (unless another `npm start` has written its own since).
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where, under the repository root, `npm start` writes the variables. */
export const LOCAL_ENV_FILE = '.switchyard/local.env';

/** The variables the README's snippets use. */
export interface LocalEnv {
  /** The API's base URL, e.g. `http://127.0.0.1:4000` (no trailing slash). */
  URL: string;
  KEY: string;
  ADMIN_KEY: string;
  WEBHOOK_SECRET: string;
}

/** `value` quoted for a POSIX shell: single quotes, each `'` written as `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** The file's text: a comment, then one `export NAME='value'` line per variable. */
export function localEnvText(env: LocalEnv): string {
  const lines = Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote(value)}`);
  return `# Switchyard local stack (npm start): source this file; it holds secrets, keep it private.\n${lines.join('\n')}\n`;
}

/** Writes the variables under `root` (LOCAL_ENV_FILE); returns the file's path. */
export function writeLocalEnv(root: string, env: LocalEnv): string {
  const file = join(root, LOCAL_ENV_FILE);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  chmodSync(dirname(file), 0o700);
  writeFileSync(file, localEnvText(env), { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** Removes `file` if it still holds `env` (another stack may have written its own since). */
export function removeLocalEnv(file: string, env: LocalEnv): void {
  try {
    if (readFileSync(file, 'utf8') === localEnvText(env)) rmSync(file);
  } catch {
    // Already gone.
  }
}
