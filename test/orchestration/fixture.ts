import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { DataLake } from '../../lib/staging/data-lake';
import { TransformFunction } from '../../lib/transform/transform-function';
import { BatchWorkflow, BatchWorkflowProps } from '../../lib/orchestration/batch-workflow';
import { CLICKSTREAM_TRANSFORM } from '../support/cdk';

/** A data lake, a transform, a bus and the workflow over them. */
export function workflowStack(stack: Stack, overrides: Partial<BatchWorkflowProps> = {}) {
  const lake = new DataLake(stack, 'Lake');
  const transform = new TransformFunction(stack, 'Transform', {
    transformEntry: CLICKSTREAM_TRANSFORM,
    pipelineName: 'clicks',
    curatedBucket: lake.curatedBucket,
    quarantineBucket: lake.quarantineBucket,
    rawBucket: lake.rawBucket,
    encryptionKey: lake.encryptionKey,
  });
  const bus = new events.EventBus(stack, 'Bus');
  const workflow = new BatchWorkflow(stack, 'Workflow', {
    pipelineName: 'clicks',
    transform,
    rawBucket: lake.rawBucket,
    quarantineBucket: lake.quarantineBucket,
    eventBus: bus,
    encryptionKey: lake.encryptionKey,
    ...overrides,
  });
  return { lake, transform, bus, workflow };
}
