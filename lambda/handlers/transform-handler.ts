/**
 * Lambda entry point of every TransformFunction: the runtime around the user's transform module
 * and the pipeline's schemas, which esbuild resolves at bundle time through the aliases
 * `@cdk-serverless-etl/user-transform` (the user's `transformEntry`) and
 * `@cdk-serverless-etl/schema-bundle` (validators compiled at synth). The runtime itself,
 * `@cdk-serverless-etl/runtime` (lambda/runtime/batch-handler), is bundled once per synth and
 * shipped beside this entry as a module of the bundle.
 */
import { createBatchHandler } from '@cdk-serverless-etl/runtime';
import * as schemas from '@cdk-serverless-etl/schema-bundle';
import * as userTransform from '@cdk-serverless-etl/user-transform';

export const handler = createBatchHandler(userTransform, schemas);
