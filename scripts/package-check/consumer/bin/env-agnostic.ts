/**
 * Scenario: stacks without `env` (deployable to any account and region) — a pipeline with the batch
 * workflow — and a pipeline whose name comes from a CloudFormation parameter (a token at synth).
 */
import * as path from 'node:path';
import { CfnParameter, Stack } from 'aws-cdk-lib';
import { EtlPipeline } from 'cdk-serverless-etl';
import { consumerApp } from './support';

const app = consumerApp();
const transformEntry = path.join(__dirname, '..', 'src', 'transform.ts');

const agnostic = new Stack(app, 'Agnostic');
new EtlPipeline(agnostic, 'Orders', {
  pipelineName: 'orders',
  transformEntry,
  idField: 'orderId',
  eventTimeField: 'createdAt',
  batchWorkflow: { prefix: 'batch/' },
});

const parameterized = new Stack(app, 'Parameterized');
const name = new CfnParameter(parameterized, 'PipelineName', { type: 'String', default: 'orders', allowedPattern: '^[a-z][a-z0-9-]{1,40}$' });
new EtlPipeline(parameterized, 'Pipeline', {
  pipelineName: name.valueAsString,
  transformEntry,
  idField: 'orderId',
  eventTimeField: 'createdAt',
});

app.synth();
