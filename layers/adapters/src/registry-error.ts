// The error for registry data that does not validate, wherever it came from (a file, a table):
// the message names the source and the exact field, e.g. `registry.yaml: endpoints[2].model: ...`.

export class InvalidRegistryError extends Error {
  /** Where the data came from: a file name, or `table <name>`. */
  readonly source: string;

  constructor(source: string, detail: string, options?: { cause?: unknown }) {
    super(`${source}: ${detail}`, options);
    this.name = 'InvalidRegistryError';
    this.source = source;
  }
}
