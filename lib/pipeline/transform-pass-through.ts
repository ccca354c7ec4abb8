import type { TransformFunctionOptions, TransformSettings } from '../transform/transform-function';

/**
 * The names of the {@link TransformFunctionOptions}, which an `EtlPipeline` takes at its top level.
 * Typed as a record of every option: an option added to the interface and not here fails to compile.
 */
const OPTIONS: { readonly [K in keyof Required<TransformFunctionOptions>]: true } = {
  transformEntry: true,
  dataset: true,
  stage: true,
  idField: true,
  recordVersionField: true,
  eventTimeField: true,
  maxEventTimeSkew: true,
  maxRecordBytes: true,
  sinkTable: true,
  sinkTableKey: true,
  piiSecret: true,
  runtime: true,
};

/** The names of the {@link TransformSettings}, which an `EtlPipeline` takes under `transform` (typed like {@link OPTIONS}). */
const SETTINGS: { readonly [K in keyof Required<TransformSettings>]: true } = {
  memorySize: true,
  timeout: true,
  reservedConcurrency: true,
  provisionedConcurrency: true,
  logRetention: true,
  environment: true,
};

/** Where a user wrote a TransformFunction prop in an `EtlPipeline`'s props: `transform.memorySize`, or `dataset` at the top. */
export function transformPropPath(prop: string): string {
  return Object.prototype.hasOwnProperty.call(SETTINGS, prop) ? `transform.${prop}` : prop;
}

/**
 * The TransformFunction props a pipeline passes through from its own: its transform options, its
 * `transform` settings and its name (validated and constructed from the same object).
 */
export function transformPassThrough(
  props: TransformFunctionOptions & { readonly pipelineName: string; readonly transform?: TransformSettings },
): TransformFunctionOptions & TransformSettings & { readonly pipelineName: string } {
  const options: Partial<Record<keyof TransformFunctionOptions, unknown>> = {};
  for (const option of Object.keys(OPTIONS) as Array<keyof TransformFunctionOptions>) options[option] = props[option];
  return { ...props.transform, ...(options as TransformFunctionOptions), pipelineName: props.pipelineName };
}
