// Health logic (pure): latency EWMA and histograms, error-rate windows, the circuit breaker state
// machine, circuit settings per endpoint, freshness, and the health check's assessment.
export * from './assess.ts';
export * from './circuit-breaker.ts';
export * from './circuit-settings.ts';
export * from './error-window.ts';
export * from './freshness.ts';
export * from './latency.ts';
