/**
 * Events the library puts on an event bus: their `source` and `detail-type`s, which users'
 * rules match and the local runner reports.
 */

/** `source` of every event the batch workflow puts on the pipeline bus. */
export const BATCH_WORKFLOW_EVENT_SOURCE = 'cdk-serverless-etl';

/** `detail-type`s of the events the batch workflow puts on the pipeline bus. */
export enum BatchWorkflowEventType {
  /** An object was loaded (`detail.counts`, `lineCount`, `bytes`). */
  COMPLETED = 'BatchCompleted',
  /** A run failed (`detail.error`, `cause`): its input is in the workflow DLQ, or the object in quarantine. */
  FAILED = 'BatchFailed',
  /** The schema-mismatch rate passed `maxDriftRate`: the pipeline is paused (`detail.counts`, `pausedParameter`). */
  SCHEMA_DRIFT = 'SchemaDriftDetected',
}
