/** A Lambda handler as the local event sources invoke it (the runtime's batch handler). */
export type BatchHandler = (event: unknown) => Promise<{ batchItemFailures?: Array<{ itemIdentifier: string }> } | void>;

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
}

/** Fresh, zeroed stats. */
export function emptyStats(): PollStats {
  return { invocations: 0, recordsDelivered: 0, functionErrors: 0, itemFailures: 0, recordsDeadLettered: 0 };
}
