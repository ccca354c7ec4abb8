/**
 * Lambda entry point of a current table's merge steps (lib/lakehouse/current-table.ts): `collect`
 * takes a bounded set of pending curated objects from the merge queue and builds the MERGE
 * statements over exactly them; `acknowledge` deletes their messages once the MERGE committed.
 * Each is a module of `lambda/runtime/steps/merge-pending.ts`. It never reads a record.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { MERGE_STEPS_ENV, MERGE_STEPS_TIMEOUT_SECONDS, MergeStepAction, type MergeStepInput } from '../../lib/contract/lakehouse/merge-steps';
import { runtimeClientConfig } from '../runtime/aws-clients';
import { acknowledgeMerged, collectPending } from '../runtime/steps/merge-pending';

/** Creates the handler; the client and queue are injectable for tests. */
export function createHandler(
  sqs: SQSClient = new SQSClient(runtimeClientConfig(MERGE_STEPS_TIMEOUT_SECONDS)),
  queueUrl: string | undefined = process.env[MERGE_STEPS_ENV.queueUrl],
): (event: MergeStepInput) => Promise<unknown> {
  return async (event) => {
    if (!queueUrl) throw new Error(`cdk-serverless-etl merge steps: ${MERGE_STEPS_ENV.queueUrl} is missing`);
    switch (event.action) {
      case MergeStepAction.COLLECT:
        return collectPending(sqs, queueUrl, event);
      case MergeStepAction.ACKNOWLEDGE:
        return acknowledgeMerged(sqs, queueUrl, event);
      default:
        throw new Error(`unknown action ${JSON.stringify((event as { action?: unknown }).action)}`);
    }
  };
}

export const handler = createHandler();
