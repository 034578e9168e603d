// .switchyard/local.env, as `npm start` writes it: `export` lines a POSIX shell sources back to
// the exact values (quotes, `$`, spaces, backslashes), private modes (0700 directory, 0600 file,
// also over an existing file), and removal only of the file this stack wrote.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  LOCAL_ENV_FILE,
  type LocalEnv,
  localEnvText,
  removeLocalEnv,
  writeLocalEnv,
} from '../../infra/local/local-env.ts';

const env: LocalEnv = {
  URL: 'http://127.0.0.1:4000',
  KEY: 'sk-it\'s $HOME \\ `x` "q"',
  ADMIN_KEY: 'sk-sy-admin-abc',
  WEBHOOK_SECRET: 'whsec_123',
};
const root = () => mkdtempSync(join(tmpdir(), 'switchyard-env-'));
const mode = (path: string) => statSync(path).mode & 0o777;

describe('local.env', () => {
  it('is export lines that bash sources back to the exact values', () => {
    const dir = root();
    const file = writeLocalEnv(dir, env);
    expect(file).toBe(join(dir, '.switchyard', 'local.env'));
    expect(LOCAL_ENV_FILE).toBe('.switchyard/local.env');
    const out = execFileSync(
      'bash',
      ['-c', `source ${LOCAL_ENV_FILE} && printf '%s\\n' "$URL" "$KEY" "$ADMIN_KEY" "$WEBHOOK_SECRET"`],
      { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
    );
    expect(out).toBe(`${env.URL}\n${env.KEY}\n${env.ADMIN_KEY}\n${env.WEBHOOK_SECRET}\n`);
    expect(readFileSync(file, 'utf8').split('\n').slice(1)).toEqual([
      "export URL='http://127.0.0.1:4000'",
      "export KEY='sk-it'\\''s $HOME \\ `x` \"q\"'",
      "export ADMIN_KEY='sk-sy-admin-abc'",
      "export WEBHOOK_SECRET='whsec_123'",
      '',
    ]);
  });

  it('is readable by its owner only, also when it replaces a file others could read', () => {
    const dir = root();
    mkdirSync(join(dir, '.switchyard'), { mode: 0o755 });
    writeFileSync(join(dir, LOCAL_ENV_FILE), 'old', { mode: 0o644 });
    chmodSync(join(dir, '.switchyard'), 0o755);
    const file = writeLocalEnv(dir, env);
    expect(mode(file)).toBe(0o600);
    expect(mode(join(dir, '.switchyard'))).toBe(0o700);
  });

  it('is removed at stop only while it still holds this stack`s values', () => {
    const dir = root();
    const file = writeLocalEnv(dir, env);
    removeLocalEnv(file, { ...env, KEY: 'another stack' });
    expect(existsSync(file)).toBe(true);
    removeLocalEnv(file, env);
    expect(existsSync(file)).toBe(false);
    removeLocalEnv(file, env); // already gone: nothing to do
    expect(localEnvText(env).startsWith('# Switchyard local stack')).toBe(true);
  });
});
