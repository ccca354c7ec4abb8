export * from './core/prop-validator';
export * from './staging/data-lake';
export * from './ingest/stream-ingest';
export * from './ingest/event-bus-ingest';
export * from './reliability/dead-letter-queue';
export * from './transform/transform-function';
export * from './pipeline/etl-pipeline';
