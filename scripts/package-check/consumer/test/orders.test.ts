/**
 * A user's own infrastructure test: a snapshot of the pipeline stack with the package's
 * SnapshotTemplate, plus an assertion. check-package.sh runs it, edits the transform, and runs it
 * again with --ci: the snapshot must still match.
 */
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
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
  // One transform function (the pipeline also has operational functions, e.g. its watermark publisher).
  const transforms = Template.fromStack(stack).findResources('AWS::Lambda::Function', {
    Properties: { Environment: { Variables: Match.objectLike({ RECORD_ID_FIELD: 'orderId' }) } },
  });
  expect(Object.keys(transforms)).toHaveLength(1);
  expect(SnapshotTemplate.fromStack(stack)).toMatchSnapshot();
});
