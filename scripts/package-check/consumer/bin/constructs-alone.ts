/**
 * Scenario: each public construct composed alone in its own stack, with only what it needs from
 * the user (plain aws-cdk-lib resources or the library's other constructs where a prop asks for one).
 */
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import {
  AlarmRouting,
  BatchWorkflow,
  CostGuardrails,
  DataLake,
  DeadLetterQueue,
  EventBusIngest,
  IdempotencyStore,
  PipelineAlarms,
  PipelineDashboard,
  PipelineSlos,
  SchemaRegistry,
  ServerlessWarehouse,
  StreamIngest,
  TransformFunction,
} from 'cdk-serverless-etl';
import { consumerApp, ENV } from './support';

const app = consumerApp();
const transformEntry = path.join(__dirname, '..', 'src', 'transform.ts');
const stack = (name: string) => new Stack(app, name, { env: ENV });

/** A data lake and a transform writing to it: what the observability and workflow constructs watch. */
function transformIn(scope: Stack, pipelineName: string) {
  const lake = new DataLake(scope, 'Lake');
  const transform = new TransformFunction(scope, 'Transform', {
    transformEntry,
    pipelineName,
    curatedBucket: lake.curatedBucket,
    quarantineBucket: lake.quarantineBucket,
  });
  return { lake, transform };
}

new DataLake(stack('DataLakeAlone'), 'Lake');
new StreamIngest(stack('StreamIngestAlone'), 'Stream');
new EventBusIngest(stack('EventBusIngestAlone'), 'Bus');
new DeadLetterQueue(stack('DeadLetterQueueAlone'), 'Dlq');
new IdempotencyStore(stack('IdempotencyStoreAlone'), 'Claims');
new SchemaRegistry(stack('SchemaRegistryAlone'), 'Schemas', {
  schemas: [{ version: '1', file: path.join(__dirname, '..', 'schemas', 'order-v1.json') }],
});
new AlarmRouting(stack('AlarmRoutingAlone'), 'Routing');

{
  const s = stack('ObservabilityAlone');
  const { transform } = transformIn(s, 'watched');
  const routing = new AlarmRouting(s, 'Routing');
  new PipelineAlarms(s, 'Alarms', { pipelineName: 'watched', routing, transform });
  new PipelineSlos(s, 'Slos', { pipelineName: 'watched', routing });
  new PipelineDashboard(s, 'Dashboard', { pipelineName: 'watched', transform });
}
{
  const s = stack('CostGuardrailsAlone');
  // AWS Budgets may publish to the routing's topics (their key policy and topic policy allow it).
  new CostGuardrails(s, 'Budget', { pipelineName: 'budgeted', monthlyBudgetUsd: 250, notificationTopic: new AlarmRouting(s, 'Routing').ticketTopic });
}
{
  const s = stack('WarehouseAlone');
  new ServerlessWarehouse(s, 'Warehouse', {
    curatedBucket: new DataLake(s, 'Lake').curatedBucket,
    dataset: 'orders',
    columns: [
      { name: 'orderid', type: 'string' },
      { name: 'total', type: 'double' },
    ],
  });
}
{
  const s = stack('BatchWorkflowAlone');
  const { lake, transform } = transformIn(s, 'nightly');
  new BatchWorkflow(s, 'Workflow', {
    pipelineName: 'nightly',
    transform,
    rawBucket: lake.rawBucket,
    curatedBucket: lake.curatedBucket,
    quarantineBucket: lake.quarantineBucket,
    eventBus: events.EventBus.fromEventBusName(s, 'DefaultBus', 'default'),
    prefix: 'exports/',
  });
}

app.synth();
