/**
 * The user's transform module. TransformFunction bundles the handlers with esbuild and aliases
 * this module name to the file given as `transformEntry`.
 */
declare module '@cdk-serverless-etl/user-transform' {
  export const transform: import('../runtime/transform-contract').TransformFn;
}
