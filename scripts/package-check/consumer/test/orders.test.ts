/**
 * A user's own infrastructure test: a snapshot of the pipeline stack with the package's
 * SnapshotTemplate, plus an assertion. check-package.sh runs it, edits the transform, and runs it
 * again with --ci: the snapshot must still match.
 */
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EtlPipeline, SnapshotTemplate } from 'cdk-serverless-etl';

test('the orders pipeline', () => {
  const app = new App({ outdir: path.join(__dirname, '..', 'out', 'jest') });
  const stack = new Stack(app, 'Orders', { env: { account: '111111111111', region: 'eu-west-1' } });
  new EtlPipeline(stack, 'Orders', {
    pipelineName: 'orders',
    transformEntry: path.join(__dirname, '..', 'src', 'transform.ts'),
    idField: 'orderId',
    eventTimeField: 'createdAt',
  });
  Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 1);
  expect(SnapshotTemplate.fromStack(stack)).toMatchSnapshot();
});
