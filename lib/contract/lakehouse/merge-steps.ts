/**
 * The merge state machine of a current table (lib/lakehouse/current-table.ts) and its steps
 * function (lambda/handlers/merge-steps.ts): the actions, their inputs and outputs, and the
 * environment. A field renamed on one side only is a MERGE that never runs.
 */
import type { CurrentTableSqlSpec } from './sql';

/** What the merge steps function is asked to do. */
export enum MergeStepAction {
  /** Take a bounded set of pending curated objects from the merge queue and build the MERGE statements over exactly them. */
  COLLECT = 'collect',
  /** Delete the messages of objects whose MERGE committed. */
  ACKNOWLEDGE = 'acknowledge',
}

/** The merge steps function's environment. */
export const MERGE_STEPS_ENV = Object.freeze({
  /** URL of the merge queue (curated-object-created notifications). */
  queueUrl: 'MERGE_QUEUE_URL',
} as const);

/** The merge steps function's timeout: CurrentTable sets it, the function sizes its SDK clients against it. */
export const MERGE_STEPS_TIMEOUT_SECONDS = 120;

/** The message the merge queue holds for a curated object (the rule's input transformer writes it). */
export interface PendingObjectMessage {
  readonly bucket: string;
  readonly key: string;
}

/** Input of {@link MergeStepAction.COLLECT}. */
export interface CollectPendingInput {
  readonly action: MergeStepAction.COLLECT;
  /** The table the statements are for. */
  readonly spec: CurrentTableSqlSpec;
  /** At most this many distinct objects are taken (1 to 1,000). */
  readonly maxObjects: number;
}

/** Output of {@link MergeStepAction.COLLECT}. */
export interface PendingMerge {
  /** Distinct curated objects taken (`s3://` URIs, sorted). */
  readonly objects: string[];
  /** Their number (the state machine's choice reads it). */
  readonly count: number;
  /** The MERGE statements over exactly `objects`, each under Athena's query size limit, run one after the other. */
  readonly statements: string[];
  /** Receipt handles of the messages of `objects`, deleted once every statement committed. */
  readonly receipts: string[];
  /** Messages that are not a curated object of this table: left in the queue (its DLQ takes them after maxReceiveCount). */
  readonly rejected: number;
  /** The limit was reached: more may be pending (the state machine collects again). */
  readonly more: boolean;
}

/** Input of {@link MergeStepAction.ACKNOWLEDGE}. */
export interface AcknowledgeMergedInput {
  readonly action: MergeStepAction.ACKNOWLEDGE;
  readonly receipts: readonly string[];
}

/** Output of {@link MergeStepAction.ACKNOWLEDGE}. */
export interface AcknowledgedMerge {
  readonly deleted: number;
}

/** Any input of the merge steps function. */
export type MergeStepInput = CollectPendingInput | AcknowledgeMergedInput;
