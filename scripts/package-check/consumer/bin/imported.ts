/**
 * Scenario: a pipeline wired to resources the user already has, imported by ARN or name — a KMS
 * key, SNS topics, a shared event bus, an archive bucket — and a transform fed by an imported
 * Kinesis stream.
 */
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DataLake, EtlPipeline, TransformFunction } from 'cdk-serverless-etl';
import { ACCOUNT, consumerApp, ENV, REGION } from './support';

const app = consumerApp();
const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
const transformEntry = path.join(__dirname, '..', 'src', 'transform.ts');

const stack = new Stack(app, 'Imported', { env: ENV });
const key = kms.Key.fromKeyArn(stack, 'Key', arn('kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab'));
new EtlPipeline(stack, 'Orders', {
  pipelineName: 'orders',
  transformEntry,
  idField: 'orderId',
  eventTimeField: 'createdAt',
  encryptionKey: key,
  pageTopic: sns.Topic.fromTopicArn(stack, 'Page', arn('sns', 'oncall-page')),
  ticketTopic: sns.Topic.fromTopicArn(stack, 'Ticket', arn('sns', 'oncall-ticket')),
  eventBus: {
    eventBus: events.EventBus.fromEventBusArn(stack, 'SharedBus', arn('events', 'event-bus/shared')),
    eventPattern: { source: ['shop.orders'], detailType: ['OrderPlaced'] },
  },
  stream: { archiveBucket: s3.Bucket.fromBucketName(stack, 'Archive', 'shop-stream-archive') },
});

const streams = new Stack(app, 'ImportedStream', { env: ENV });
const lake = new DataLake(streams, 'Lake');
const fn = new TransformFunction(streams, 'Transform', {
  transformEntry,
  pipelineName: 'clicks',
  curatedBucket: lake.curatedBucket,
  quarantineBucket: lake.quarantineBucket,
});
fn.addKinesisSource(kinesis.Stream.fromStreamArn(streams, 'Clicks', arn('kinesis', 'stream/clicks')), { batchSize: 100 });

app.synth();
