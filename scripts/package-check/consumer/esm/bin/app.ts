/**
 * Scenario: an ES module project ("type": "module"): the package is imported with ESM syntax and
 * the transform is an ES module too; its bundle must still load as Lambda loads it.
 */
import { fileURLToPath } from 'node:url';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { EtlPipeline } from 'cdk-serverless-etl';

const app = new App({ outdir: process.argv[2] || undefined });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
const stack = new Stack(app, 'EsmOrders', { env: { account: '111111111111', region: 'eu-west-1' } });
new EtlPipeline(stack, 'Orders', {
  pipelineName: 'esm-orders',
  transformEntry: fileURLToPath(new URL('../src/transform.ts', import.meta.url)),
  idField: 'orderId',
  eventTimeField: 'createdAt',
});
app.synth();
