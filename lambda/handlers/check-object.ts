/**
 * Lambda entry point of the BatchWorkflow's own steps: one small function, five actions, each a
 * module of `lambda/runtime/steps/`:
 *
 * - `check` (object-check): size, JSON Lines and line count in one streaming pass; the line ranges
 *   the workflow maps over. Deterministic rejections throw named errors (`ObjectTooLarge`,
 *   `NotJsonLines`, `TooManyBatches`, `EmptyObject`) that the state machine routes to quarantine.
 * - `summarize` (run-summary): sums the batch summaries of the Map and decides whether the schema drifted.
 * - `quarantine` (object-quarantine): records a rejected or drifted object in the quarantine bucket:
 *   a pointer to it with the reason, never a copy of its bytes (raw PII).
 * - `resolveKey` (scheduled-key): fills the date placeholders of a scheduled run's key template.
 * - `lineage` (run-lineage): writes the run-level lineage manifest, one per execution.
 *
 * It never reads a record's content beyond parsing the sample (no payload is logged or returned).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { StepAction, type StepInput } from '../../lib/contract/workflow-steps';
import { checkObject } from '../runtime/steps/object-check';
import { quarantineObject } from '../runtime/steps/object-quarantine';
import { recordRunLineage } from '../runtime/steps/run-lineage';
import { summarize } from '../runtime/steps/run-summary';
import { resolveKey } from '../runtime/steps/scheduled-key';
import { stepsS3Client } from '../runtime/steps/steps-client';

/** What the state machine sends: one action and its fields (the contract's step inputs). */
export type StepsEvent = StepInput;

/** Creates the handler; `s3` is injectable for tests. */
export function createHandler(s3: S3Client = stepsS3Client()): (event: StepsEvent) => Promise<unknown> {
  return async (event) => {
    switch (event.action) {
      case StepAction.CHECK:
        return checkObject(s3, event);
      case StepAction.SUMMARIZE:
        return summarize(event);
      case StepAction.QUARANTINE:
        return quarantineObject(s3, event);
      case StepAction.LINEAGE:
        return recordRunLineage(s3, event);
      case StepAction.RESOLVE_KEY:
        return resolveKey(event);
      default:
        throw new Error(`unknown action ${JSON.stringify((event as { action?: unknown }).action)}`);
    }
  };
}

export const handler = createHandler();
