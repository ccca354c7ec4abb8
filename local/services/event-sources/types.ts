/**
 * A Lambda handler as the local event sources invoke it (the runtime's batch handler). Besides the
 * partial batch response, the local run may say which records the function dropped on purpose
 * (`droppedItems`, read from the runtime's log line), so records delivered again after they were
 * handled are counted once.
 */
export type BatchHandler = (event: unknown) => Promise<{ batchItemFailures?: Array<{ itemIdentifier: string }>; droppedItems?: readonly string[] } | void>;

/** What an event-source run did, for reports and tests. */
export interface PollStats {
  /** Handler invocations. */
  invocations: number;
  /** Records delivered to the handler, redeliveries included. */
  recordsDelivered: number;
  /** Invocations that threw (a whole-batch failure). */
  functionErrors: number;
  /** Records reported in batchItemFailures. */
  itemFailures: number;
  /** Records given up on (sent to the on-failure destination or left for the queue's redrive). */
  recordsDeadLettered: number;
  /** Failed batches split in two and delivered again (Kinesis BisectBatchOnFunctionError). */
  batchesBisected: number;
  /**
   * Records delivered again after an earlier delivery handled them (Kinesis redelivers everything
   * from the lowest failed record on), which the function then counted again: as dropped (its
   * `droppedItems`) or as duplicates (anything else it handled).
   */
  redeliveredDropped: number;
  redeliveredDuplicates: number;
  /** Of `recordsDeadLettered`, records an earlier delivery had handled (they are also curated, quarantined, dropped or duplicates). */
  deadLetteredHandled: number;
  /** The most invocations in flight at once. */
  peakConcurrentInvocations: number;
}

/** Fresh, zeroed stats. */
export function emptyStats(): PollStats {
  return {
    invocations: 0,
    recordsDelivered: 0,
    functionErrors: 0,
    itemFailures: 0,
    recordsDeadLettered: 0,
    batchesBisected: 0,
    redeliveredDropped: 0,
    redeliveredDuplicates: 0,
    deadLetteredHandled: 0,
    peakConcurrentInvocations: 0,
  };
}
