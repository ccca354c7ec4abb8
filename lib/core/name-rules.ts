import { PropValidator } from './prop-validator';

/** A rule a name must follow, with how error messages describe it. */
interface NameRule {
  readonly pattern: RegExp;
  readonly description: string;
}

/**
 * `pipelineName`: the `Pipeline` metric dimension, tags, and the stem of physical names (the
 * dashboard, the budget, the paused-flag parameter), so short and lower case.
 */
const PIPELINE_NAME: NameRule = Object.freeze({
  pattern: /^[a-z][a-z0-9-]{1,62}$/,
  description: '2 to 63 characters of a-z, 0-9 and "-", starting with a letter',
});

/** `dataset`: the first key segment of every object the pipeline writes, and the warehouse's table name. */
const DATASET: NameRule = Object.freeze({
  pattern: /^[a-z0-9][a-z0-9_-]{0,127}$/,
  description: '1 to 128 characters of a-z, 0-9, "_" and "-"',
});

/**
 * Checks a pipeline's names, the same rules in every construct that takes them (TransformFunction,
 * BatchWorkflow, and EtlPipeline through both): `pipelineName` and `dataset`, each when given.
 * Adds each problem to `v`.
 */
export function validatePipelineNames(v: PropValidator, names: { readonly pipelineName?: string; readonly dataset?: string }): void {
  v.pattern('pipelineName', names.pipelineName, PIPELINE_NAME.pattern, PIPELINE_NAME.description).pattern(
    'dataset',
    names.dataset,
    DATASET.pattern,
    DATASET.description,
  );
}
