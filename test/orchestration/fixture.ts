import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { DataLake } from '../../lib/staging/data-lake';
import { SchemaRegistry } from '../../lib/schema/schema-registry';
import { TransformFunction } from '../../lib/transform/transform-function';
import { BatchWorkflow, BatchWorkflowProps } from '../../lib/orchestration/batch-workflow';
import { CLICKSTREAM_TRANSFORM, ROOT } from '../support/cdk';

/** The clickstream v1 schema of the example. */
export const CLICKSTREAM_V1_SCHEMA = path.join(ROOT, 'examples', 'clickstream', 'schemas', 'clickstream-v1.json');

/** What the fixture builds besides the workflow's own props. */
export interface WorkflowFixtureOptions {
  /** Give the transform the clickstream schema registry (the workflow then samples the schema). */
  readonly schemas?: boolean;
}

/** A data lake and a transform over it (optionally with schemas): what a workflow or one of its fragments invokes. */
export function transformStack(stack: Stack, options: WorkflowFixtureOptions = {}) {
  const lake = new DataLake(stack, 'Lake');
  const schemaRegistry = options.schemas
    ? new SchemaRegistry(stack, 'Schemas', { schemas: [{ version: '1', file: CLICKSTREAM_V1_SCHEMA }] })
    : undefined;
  const transform = new TransformFunction(stack, 'Transform', {
    transformEntry: CLICKSTREAM_TRANSFORM,
    pipelineName: 'clicks',
    curatedBucket: lake.curatedBucket,
    quarantineBucket: lake.quarantineBucket,
    rawBucket: lake.rawBucket,
    encryptionKey: lake.encryptionKey,
    schemaRegistry,
  });
  return { lake, transform, schemaRegistry };
}

/** A data lake, a transform (optionally with schemas), a bus and the workflow over them. */
export function workflowStack(stack: Stack, overrides: Partial<BatchWorkflowProps> = {}, options: WorkflowFixtureOptions = {}) {
  const { lake, transform, schemaRegistry } = transformStack(stack, options);
  const bus = new events.EventBus(stack, 'Bus');
  const workflow = new BatchWorkflow(stack, 'Workflow', {
    pipelineName: 'clicks',
    transform,
    rawBucket: lake.rawBucket,
    curatedBucket: lake.curatedBucket,
    quarantineBucket: lake.quarantineBucket,
    eventBus: bus,
    encryptionKey: lake.encryptionKey,
    ...overrides,
  });
  return { lake, transform, bus, workflow, schemaRegistry };
}
