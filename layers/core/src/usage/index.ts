// Metering: the usage record (one per request that reached an upstream) and its store port.

export * from './meter.ts';
export * from './usage-export.ts';
export * from './usage-record.ts';
export * from './usage-summary.ts';
