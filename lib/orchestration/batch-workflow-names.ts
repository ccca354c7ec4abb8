/** `source` of every event the workflow puts on the pipeline bus. */
export const BATCH_WORKFLOW_EVENT_SOURCE = 'cdk-serverless-etl';

/** `detail-type`s of the events the workflow puts on the pipeline bus. */
export const BatchWorkflowEvents = {
  COMPLETED: 'BatchCompleted',
  FAILED: 'BatchFailed',
  SCHEMA_DRIFT: 'SchemaDriftDetected',
} as const;

/** Errors of the object check that are deterministic: the object is quarantined, never retried. */
export const OBJECT_CHECK_ERRORS = ['ObjectTooLarge', 'NotJsonLines', 'TooManyBatches', 'EmptyObject'];
