/**
 * The contract between the constructs (lib/), the Lambda runtime and steps (lambda/), the
 * operations CLI (cli/) and the local runner (local/): names and shapes each side must agree on.
 * Every one is defined here once and imported by both sides.
 *
 * Dependency-free (no aws-cdk-lib, no Node.js modules, no other file of the library; the lint
 * rules enforce it): lambda/ bundles it with esbuild, cli/ and local/ load it compiled.
 */
export * from './environment';
export * from './events';
export * from './metrics';
export * from './range-invocation';
export * from './schema-bundle';
export * from './stack-outputs';
export * from './storage-layout';
export * from './watermarks';
export * from './workflow-steps';
export * from './lakehouse/columns';
export * from './lakehouse/sql';
export * from './lakehouse/merge-steps';
export * from './cost';
export * from './reprocess';
export * from './log-fields';
