/** An ES module transform: tags each order with the pipeline that curated it. */
import type { PipelineRecord, TransformContext } from 'cdk-serverless-etl/lambda';

export const transform = (record: PipelineRecord, context: TransformContext): PipelineRecord => ({ ...record, curatedBy: context.pipeline });
