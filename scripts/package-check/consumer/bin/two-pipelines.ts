/**
 * Scenario: two pipelines in one stack with an explicit account and region. `cdk.json` points at
 * this app, so `npx cdk-serverless-etl start` runs it, and the CLI must pick each with --pipeline.
 * The refunds pipeline keeps a current table (Iceberg, merged by Athena; DuckDB locally) with
 * exactly-once at the table (`deduplication: 'table'`), as README's "A current table" shows it.
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
    ...(pipelineName === 'refunds'
      ? {
          warehouse: { databaseName: 'shop_refunds' },
          currentTable: { outputSchema: path.join(__dirname, '..', 'schemas', 'curated-order.json') },
          deduplication: 'table' as const,
        }
      : {}),
  });
}
app.synth();
