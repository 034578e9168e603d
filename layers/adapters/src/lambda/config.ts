// Configuration from the environment, parsed once with zod at module scope; a bad or missing
// variable fails the function at start with a message naming every variable at fault.
import type * as z from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`).join('; ');
  throw new ConfigError(`Invalid configuration: ${problems}`);
}
