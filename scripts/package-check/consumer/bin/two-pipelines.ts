/**
 * Scenario: two pipelines in one stack with an explicit account and region. `cdk.json` points at
 * this app, so `npx cdk-serverless-etl start` runs it, and the CLI must pick each with --pipeline.
 */
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { EtlPipeline } from 'cdk-serverless-etl';
import { consumerApp, ENV } from './support';

const app = consumerApp();
const stack = new Stack(app, 'Shop', { env: ENV });
for (const pipelineName of ['orders', 'refunds']) {
  new EtlPipeline(stack, pipelineName === 'orders' ? 'Orders' : 'Refunds', {
    pipelineName,
    transformEntry: path.join(__dirname, '..', 'src', 'transform.ts'),
    idField: 'orderId',
    eventTimeField: 'createdAt',
    enableStream: pipelineName === 'orders',
  });
}
app.synth();
