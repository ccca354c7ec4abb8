/**
 * Lambda entry point of every TransformFunction: the runtime around the user's transform module,
 * which esbuild resolves through the `@cdk-serverless-etl/user-transform` alias at bundle time.
 */
import * as userTransform from '@cdk-serverless-etl/user-transform';
import { createBatchHandler } from '../runtime/batch-handler';

export const handler = createBatchHandler(userTransform);
