/**
 * The names the batch workflow publishes: the contract's (lib/contract/), and their earlier
 * spellings, kept for callers of previous versions.
 */
import { BatchWorkflowEventType } from '../contract/events';
import { OBJECT_CHECK_ERRORS as CONTRACT_OBJECT_CHECK_ERRORS } from '../contract/workflow-steps';

export { BATCH_WORKFLOW_EVENT_SOURCE, BatchWorkflowEventType } from '../contract/events';
export { ObjectCheckError, WorkflowError } from '../contract/workflow-steps';

/**
 * `detail-type`s of the events the workflow puts on the pipeline bus.
 * @deprecated use {@link BatchWorkflowEventType} (the same values, as an enum)
 */
export const BatchWorkflowEvents = BatchWorkflowEventType;

/**
 * Errors of the object check that are deterministic: the object is quarantined, never retried.
 * @deprecated use {@link ObjectCheckError} (the same names, as an enum)
 */
export const OBJECT_CHECK_ERRORS: readonly string[] = CONTRACT_OBJECT_CHECK_ERRORS;
