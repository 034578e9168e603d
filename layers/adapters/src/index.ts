// Adapters from the core's ports to AWS services and HTTP endpoints (`@switchyard/adapters`).
export {};
