/**
 * The schema bundle of a pipeline without schemas: nothing to validate, nothing to mask.
 * TransformFunction aliases `@cdk-serverless-etl/schema-bundle` to this module when no
 * SchemaRegistry is given.
 */
export const versionField: string | undefined = undefined;
export const defaultVersion: string | undefined = undefined;
export const versions = {};
