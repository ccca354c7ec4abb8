/**
 * A user's transform, as the README shows it: types from `cdk-serverless-etl/lambda`, bundled by
 * the constructs with the runtime. Drops test orders on purpose and tags the rest.
 */
import type { PipelineRecord, TransformContext } from 'cdk-serverless-etl/lambda';

export function transform(record: PipelineRecord, context: TransformContext): PipelineRecord | null {
  if (record['test'] === true) return null; // dropped on purpose (counted)
  return { ...record, pipeline: context.pipeline, total: Number(record['amount'] ?? 0) };
}
