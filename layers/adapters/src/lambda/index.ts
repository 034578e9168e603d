// Lambda runtime glue shared by the handlers (`@switchyard/adapters/lambda`): config, the HTTP
// wrapper and the error middleware.
export * from './config.ts';
export * from './errors.middleware.ts';
export * from './http.ts';
