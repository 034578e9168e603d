// Lambda runtime glue shared by the handlers (`@switchyard/adapters/lambda`): config, the HTTP
// wrapper, the error middleware and the signed webhook sender's wiring.
export * from './config.ts';
export * from './errors.middleware.ts';
export * from './http.ts';
export * from './webhooks.ts';
