// Placeholder: implemented in the walking skeleton.
export const handler = async (): Promise<unknown> => ({});
