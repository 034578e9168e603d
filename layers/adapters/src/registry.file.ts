// Reads the registry file (YAML): `models`, `endpoints`, `policies`, `domains` validated with RegistrySchema,
// plus a `local` section returned raw for the local runner. Values are literal (no ${VAR}
// interpolation). Errors name the file and the exact field, e.g.
// `registry.example.yaml: endpoints[2].model: unknown model "x"`.
import { readFile } from 'node:fs/promises';
import type { Registry } from '@switchyard/core';
import { formatIssues, RegistrySchema } from '@switchyard/core';
import { LineCounter, parseDocument } from 'yaml';
import { InvalidRegistryError } from './registry-error.ts';

export interface RegistryFile {
  registry: Registry;
  /** The top-level `local` section, untouched (undefined when absent). */
  local: unknown;
}

const SECTIONS = ['models', 'endpoints', 'policies', 'domains'] as const;
const TOP_LEVEL = new Set<string>([...SECTIONS, 'local']);

export function parseRegistryFile(text: string, sourceName: string): RegistryFile {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  const yamlError = document.errors[0];
  if (yamlError) {
    const pos = lineCounter.linePos(yamlError.pos[0]);
    const where = `line ${pos.line}, column ${pos.col}: `;
    throw new InvalidRegistryError(sourceName, `${where}${yamlError.message.split('\n')[0]}`);
  }
  const data: unknown = document.toJS() ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InvalidRegistryError(
      sourceName,
      'the file must be a mapping with models, endpoints and policies',
    );
  }
  const top = data as Record<string, unknown>;
  const unknown = Object.keys(top).filter((k) => !TOP_LEVEL.has(k));
  if (unknown.length > 0) {
    throw new InvalidRegistryError(
      sourceName,
      `unknown top-level key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} ` +
        '(expected models, endpoints, policies, domains, local)',
    );
  }
  const sections: Record<string, unknown> = {};
  for (const key of SECTIONS) {
    // An empty section (`policies:` with nothing under it) is null in YAML: treat it as empty.
    if (top[key] !== undefined && top[key] !== null) sections[key] = top[key];
  }
  const parsed = RegistrySchema.safeParse(sections);
  if (!parsed.success) throw new InvalidRegistryError(sourceName, formatIssues(parsed.error));
  return { registry: parsed.data, local: top.local };
}

/** Reads and parses a registry file; messages name the file as `path` was given. */
export async function loadRegistryFile(path: string): Promise<RegistryFile> {
  const text = await readFile(path, 'utf8');
  return parseRegistryFile(text, path);
}
