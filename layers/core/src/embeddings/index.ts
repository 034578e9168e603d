// Embeddings (`POST /v1/embeddings`): the request schema, its route request and upstream call,
// the answer and the base64 float32 encoding.
export * from './embedding-encoding.ts';
export * from './embedding-request.ts';
export * from './embeddings.schema.ts';
