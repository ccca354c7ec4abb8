/**
 * Modules TransformFunction supplies at bundle time: through esbuild aliases, the user's transform
 * (`transformEntry`) and the schema validators compiled at synth; as a shared module of the
 * bundle, the runtime.
 */
declare module '@cdk-serverless-etl/runtime' {
  export const createBatchHandler: typeof import('../runtime/batch-handler').createBatchHandler;
}

declare module '@cdk-serverless-etl/user-transform' {
  export const transform: import('../runtime/transform-contract').TransformFn;
}

declare module '@cdk-serverless-etl/schema-bundle' {
  type Bundle = import('../runtime/schema-validation').SchemaBundle;
  export const versionField: Bundle['versionField'];
  export const defaultVersion: Bundle['defaultVersion'];
  export const versions: Bundle['versions'];
}
