/**
 * A consumer's CDK app, written against the installed package only: the whole pipeline in one
 * stack, and two constructs composed alone in another (a data lake and a transform fed by the
 * user's own queue). `npx tsx bin/app.ts <outdir>` synthesizes both.
 */
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { DataLake, EtlPipeline, TransformFunction } from 'cdk-serverless-etl';

const app = new App({ outdir: process.argv[2] ?? 'cdk.out' });
const env = { account: '111111111111', region: 'eu-west-1' };

const orders = new Stack(app, 'Orders', { env });
const pipeline = new EtlPipeline(orders, 'Orders', {
  pipelineName: 'orders',
  transformEntry: path.join(__dirname, '..', 'src', 'transform.ts'),
  idField: 'orderId',
  eventTimeField: 'createdAt',
  schemas: { schemas: [{ version: '1', file: 'schemas/order-v1.json' }] },
  transform: { memorySize: 512, timeout: Duration.seconds(30) },
  batchWorkflow: { prefix: 'batch/' },
});
// What the pipeline creates is typed for the user's own wiring.
const bucketName: string = pipeline.dataLake.curatedBucket.bucketName;
void bucketName;

const invoices = new Stack(app, 'Invoices', { env });
const lake = new DataLake(invoices, 'Lake');
const fn = new TransformFunction(invoices, 'Transform', {
  transformEntry: 'src/transform.ts', // relative to the current directory, as in the README
  pipelineName: 'invoices',
  curatedBucket: lake.curatedBucket,
  quarantineBucket: lake.quarantineBucket,
});
const queue = new sqs.Queue(invoices, 'Queue', {
  encryption: sqs.QueueEncryption.KMS,
  encryptionMasterKey: fn.encryptionKey,
  enforceSSL: true,
  visibilityTimeout: Duration.minutes(6),
});
fn.addSqsSource(queue, { batchSize: 10, maxConcurrency: 5 });

app.synth();
