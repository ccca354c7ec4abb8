/**
 * Lambda entry point of every TransformFunction: the runtime around the user's transform module
 * and the pipeline's schemas, which esbuild resolves at bundle time through the aliases
 * `@cdk-serverless-etl/user-transform` (the user's `transformEntry`) and
 * `@cdk-serverless-etl/schema-bundle` (validators compiled at synth).
 */
import * as schemas from '@cdk-serverless-etl/schema-bundle';
import * as userTransform from '@cdk-serverless-etl/user-transform';
import { createBatchHandler } from '../runtime/batch-handler';

export const handler = createBatchHandler(userTransform, schemas);
