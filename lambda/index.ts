/**
 * Types for writing a transform module (`import type { ... } from 'cdk-serverless-etl/lambda'`).
 * The constructs are exported from the package root; these are the runtime's contract.
 */
export type {
  PipelineRecord,
  SourcePosition,
  TransformContext,
  TransformFn,
  TransformModule,
  TransformResult,
} from './runtime/transform-contract';
export type { QuarantineReason } from './runtime/process-batch';
export type { PiiField } from './runtime/pii-masking';
export { deleteRecord } from './runtime/record-operations';
export type { DeleteOutput } from './runtime/record-operations';
