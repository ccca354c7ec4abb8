import * as net from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  PutItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { startEmulators, type EmulatedService, type Emulators } from '../../../local/services/emulators';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the rejection of `promise` (fails the test if it fulfils). */
async function rejectionOf(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const portOf = (endpoint: string | undefined): number => Number(new URL(String(endpoint)).port);

describe('local AWS emulators', () => {
  let emulators: Emulators;

  beforeAll(async () => {
    emulators = await startEmulators();
  });

  afterAll(async () => {
    await emulators?.stop();
  });

  test('all four services listen on 127.0.0.1 ports chosen by the OS, s3 and sqs on one server', () => {
    const { endpoints } = emulators;
    for (const service of ['s3', 'sqs', 'dynamodb', 'kinesis'] as const) {
      expect(endpoints[service]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    }
    expect(endpoints.s3).toBe(endpoints.sqs);
    expect(new Set([endpoints.s3, endpoints.dynamodb, endpoints.kinesis]).size).toBe(3);
    expect(emulators.region).toBe('us-east-1');
    expect(emulators.credentials).toEqual({ accessKeyId: 'test', secretAccessKey: 'test' });
  });

  describe('S3 (fauxqs)', () => {
    const bucket = 'staging-bucket';
    let s3: S3Client;

    beforeAll(async () => {
      s3 = emulators.clients.s3();
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    });

    test('a gzip body put with ContentEncoding gzip comes back byte-identical', async () => {
      const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({ id: i, name: `record-${i}` })).join('\n');
      const body = gzipSync(Buffer.from(lines));
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'raw/batch.jsonl.gz', Body: body, ContentEncoding: 'gzip', ContentType: 'application/x-ndjson' }),
      );

      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'raw/batch.jsonl.gz' }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      expect(bytes.equals(body)).toBe(true);
      // Limitation: fauxqs does not store Content-Encoding (AWS returns 'gzip'); the bytes are intact.
      expect(got.ContentEncoding).toBeUndefined();
      expect(got.ContentType).toBe('application/x-ndjson');
      expect(got.ContentLength).toBe(body.length);
      expect(gunzipSync(bytes).toString()).toBe(lines);
    });

    test('ListObjectsV2 filters by prefix', async () => {
      for (const key of ['by-prefix/2024/01/a.json', 'by-prefix/2024/02/b.json', 'by-prefix/2025/01/c.json', 'elsewhere/d.json']) {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
      }
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'by-prefix/2024/' }));
      expect(listed.Contents?.map((o) => o.Key)).toEqual(['by-prefix/2024/01/a.json', 'by-prefix/2024/02/b.json']);
      expect(listed.KeyCount).toBe(2);
    });

    test('HeadObject of a missing key fails with NotFound (404)', async () => {
      const error = await rejectionOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'no/such/key' })));
      expect(error.name).toBe('NotFound');
      expect(error.$metadata?.httpStatusCode).toBe(404);
    });
  });

  describe('SQS (fauxqs)', () => {
    async function queueWithDlq(name: string, maxReceiveCount: number, visibilityTimeout: number): Promise<{ url: string; dlqUrl: string }> {
      const sqs = emulators.clients.sqs();
      const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
      const dlqArn = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
      const queue = await sqs.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: {
            VisibilityTimeout: String(visibilityTimeout),
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn.Attributes!.QueueArn, maxReceiveCount }),
          },
        }),
      );
      return { url: queue.QueueUrl!, dlqUrl: dlq.QueueUrl! };
    }

    async function receiveOne(queueUrl: string, visibilityTimeout?: number): Promise<Message | undefined> {
      const received = await emulators.clients.sqs().send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 1,
          WaitTimeSeconds: 0,
          VisibilityTimeout: visibilityTimeout,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      return received.Messages?.[0];
    }

    test('CreateQueue keeps the RedrivePolicy pointing at the DLQ', async () => {
      const { url, dlqUrl } = await queueWithDlq('orders-redrive', 3, 30);
      const sqs = emulators.clients.sqs();
      const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
      expect(dlqArn).toBe('arn:aws:sqs:us-east-1:000000000000:orders-redrive-dlq');
      const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] }));
      expect(JSON.parse(attributes.Attributes!.RedrivePolicy!)).toEqual({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 });
    });

    test('send, receive and delete a message', async () => {
      const { url } = await queueWithDlq('orders-basic', 3, 30);
      const sqs = emulators.clients.sqs();
      const sent = await sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: '{"orderId":"o-1"}',
          MessageAttributes: { source: { DataType: 'String', StringValue: 'test' } },
        }),
      );
      expect(sent.MessageId).toEqual(expect.any(String));

      const message = await receiveOne(url);
      expect(message).toMatchObject({ MessageId: sent.MessageId, Body: '{"orderId":"o-1"}', MD5OfBody: sent.MD5OfMessageBody });
      expect(message!.Attributes?.ApproximateReceiveCount).toBe('1');

      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message!.ReceiptHandle }));
      const counts = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      expect(counts.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    });

    test('a received message stays invisible for the visibility timeout, then comes back with a higher ApproximateReceiveCount', async () => {
      const { url } = await queueWithDlq('orders-visibility', 5, 1);
      await emulators.clients.sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'retry me' }));

      const first = await receiveOne(url);
      expect(first?.Attributes?.ApproximateReceiveCount).toBe('1');
      expect(await receiveOne(url)).toBeUndefined();

      await sleep(1100);
      const second = await receiveOne(url);
      expect(second).toMatchObject({ MessageId: first!.MessageId, Body: 'retry me' });
      expect(second!.Attributes?.ApproximateReceiveCount).toBe('2');
      expect(second!.ReceiptHandle).not.toBe(first!.ReceiptHandle);
    });

    test('a message received maxReceiveCount times moves to the dead-letter queue', async () => {
      const { url, dlqUrl } = await queueWithDlq('orders-poison', 2, 30);
      const sent = await emulators.clients.sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));

      // VisibilityTimeout 0 makes each receive an immediate failed attempt.
      expect((await receiveOne(url, 0))?.Attributes?.ApproximateReceiveCount).toBe('1');
      expect((await receiveOne(url, 0))?.Attributes?.ApproximateReceiveCount).toBe('2');
      expect(await receiveOne(url, 0)).toBeUndefined();

      const dead = await receiveOne(dlqUrl);
      expect(dead).toMatchObject({ MessageId: sent.MessageId, Body: 'poison' });
    });
  });

  describe('DynamoDB (dynalite)', () => {
    const table = 'etl-checkpoints';
    let ddb: DynamoDBClient;

    beforeAll(async () => {
      ddb = emulators.clients.dynamodb();
      await ddb.send(
        new CreateTableCommand({
          TableName: table,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      );
    });

    test('the on-demand table is ACTIVE at once', async () => {
      const described = await ddb.send(new DescribeTableCommand({ TableName: table }));
      expect(described.Table?.TableStatus).toBe('ACTIVE');
      expect(described.Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    });

    test('a conditional PutItem on an existing key fails with ConditionalCheckFailedException', async () => {
      const put = (): PutItemCommand =>
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'batch#1' }, status: { S: 'DONE' } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        });
      await ddb.send(put());
      const error = await rejectionOf(ddb.send(put()));
      expect(error.name).toBe('ConditionalCheckFailedException');
      // Limitation: AWS returns the existing item here; dynalite does not.
      expect((error as { Item?: unknown }).Item).toBeUndefined();
    });

    test('BatchWriteItem of 25 and BatchGetItem of 100 keys', async () => {
      const keys = Array.from({ length: 100 }, (_, i) => `item#${String(i).padStart(3, '0')}`);
      for (let start = 0; start < keys.length; start += 25) {
        const requests: WriteRequest[] = keys.slice(start, start + 25).map((pk) => ({ PutRequest: { Item: { pk: { S: pk }, n: { N: String(start) } } } }));
        const written = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
        expect(written.UnprocessedItems ?? {}).toEqual({});
      }

      const got = await ddb.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: keys.map((pk) => ({ pk: { S: pk } })) } } }));
      expect(got.UnprocessedKeys ?? {}).toEqual({});
      expect(got.Responses?.[table]?.map((item) => item.pk.S).sort()).toEqual(keys);
    });

    test('BatchWriteItem of 26 requests is rejected like on AWS', async () => {
      const requests: WriteRequest[] = Array.from({ length: 26 }, (_, i) => ({ PutRequest: { Item: { pk: { S: `over#${i}` } } } }));
      const error = await rejectionOf(ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } })));
      expect(error.name).toBe('ValidationException');
    });
  });

  describe('Kinesis (kinesalite)', () => {
    test('PutRecords, then GetRecords from TRIM_HORIZON returns them in order with their sequence numbers', async () => {
      const kinesis = emulators.clients.kinesis();
      const stream = 'clickstream';
      await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
      const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
      expect(summary.StreamDescriptionSummary?.StreamStatus).toBe('ACTIVE');

      const payloads = Array.from({ length: 10 }, (_, i) => JSON.stringify({ seq: i, at: `2024-01-01T00:00:0${i}Z` }));
      const put = await kinesis.send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: payloads.map((p, i) => ({ Data: Buffer.from(p), PartitionKey: `user-${i % 3}` })),
        }),
      );
      expect(put.FailedRecordCount ?? 0).toBe(0);
      const sequenceNumbers = put.Records!.map((r) => r.SequenceNumber!);

      const shards = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
      expect(shards.Shards).toHaveLength(1);
      const iterator = await kinesis.send(
        new GetShardIteratorCommand({ StreamName: stream, ShardId: shards.Shards![0].ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      const got = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator }));

      const records = got.Records ?? [];
      expect(records.map((r) => Buffer.from(r.Data!).toString())).toEqual(payloads);
      expect(records.map((r) => r.SequenceNumber)).toEqual(sequenceNumbers);
      expect(records.map((r) => r.PartitionKey)).toEqual(payloads.map((_, i) => `user-${i % 3}`));
      const asBigInts = sequenceNumbers.map((s) => BigInt(s));
      expect(asBigInts.every((s, i) => i === 0 || s > asBigInts[i - 1])).toBe(true);
      expect(got.NextShardIterator).toEqual(expect.any(String));
    });
  });

  test('env points default-configured SDK clients at the emulators', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, emulators.env);
    const ddb = new DynamoDBClient({});
    const s3 = new S3Client({});
    try {
      await ddb.send(
        new CreateTableCommand({
          TableName: 'from-env',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      );
      expect((await emulators.clients.dynamodb().send(new ListTablesCommand({}))).TableNames).toContain('from-env');
      await s3.send(new CreateBucketCommand({ Bucket: 'from-env' }));
      await s3.send(new PutObjectCommand({ Bucket: 'from-env', Key: 'hello.txt', Body: 'hello' }));
      const got = await emulators.clients.s3().send(new GetObjectCommand({ Bucket: 'from-env', Key: 'hello.txt' }));
      expect(await got.Body!.transformToString()).toBe('hello');
    } finally {
      ddb.destroy();
      s3.destroy();
      process.env = saved;
    }
  });
});

describe('emulator lifecycle', () => {
  const services: EmulatedService[] = ['s3', 'sqs', 'dynamodb', 'kinesis'];

  test('two harnesses run side by side on different ports with separate state, and stop() frees the ports', async () => {
    const [a, b] = await Promise.all([startEmulators(), startEmulators()]);
    let stopped = false;
    try {
      const portsA = services.map((s) => portOf(a.endpoints[s]));
      const portsB = services.map((s) => portOf(b.endpoints[s]));
      expect(portsA.filter((p) => portsB.includes(p))).toEqual([]);

      await a.clients.s3().send(new CreateBucketCommand({ Bucket: 'only-in-a' }));
      const error = await rejectionOf(b.clients.s3().send(new HeadObjectCommand({ Bucket: 'only-in-a', Key: 'x' })));
      expect(error.$metadata?.httpStatusCode).toBe(404);
      await a.clients.dynamodb().send(
        new CreateTableCommand({
          TableName: 'only-in-a',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      );
      expect((await b.clients.dynamodb().send(new ListTablesCommand({}))).TableNames).toEqual([]);

      await Promise.all([a.stop(), b.stop()]);
      await a.stop(); // idempotent
      stopped = true;
      for (const port of [...portsA, ...portsB]) expect(await isListening(port)).toBe(false);

      // The freed ports can be bound again.
      const again = await startEmulators({ ports: { s3: portsA[0], sqs: portsA[1], dynamodb: portsA[2], kinesis: portsA[3] } });
      try {
        expect(services.map((s) => portOf(again.endpoints[s]))).toEqual(portsA);
        expect((await again.clients.dynamodb().send(new ListTablesCommand({}))).TableNames).toEqual([]);
      } finally {
        await again.stop();
      }
    } finally {
      if (!stopped) await Promise.all([a.stop(), b.stop()]);
    }
  });

  test('starts only the requested services', async () => {
    const only = await startEmulators({ services: ['dynamodb'] });
    try {
      expect(Object.keys(only.endpoints)).toEqual(['dynamodb']);
      expect(() => only.clients.kinesis()).toThrow(/kinesis emulator was not started/);
      expect((await only.clients.dynamodb().send(new ListTablesCommand({}))).TableNames).toEqual([]);
    } finally {
      await only.stop();
    }
  });

  test('a start failure names the emulators that failed and stops the ones that did start', async () => {
    const holder = await startEmulators({ services: ['s3', 'dynamodb'] });
    try {
      const dynamodbPort = portOf(holder.endpoints.dynamodb);
      const fauxqsPort = portOf(holder.endpoints.s3);
      const kinesisPort = await freePort();
      const error = await rejectionOf(startEmulators({ ports: { s3: fauxqsPort, sqs: fauxqsPort, dynamodb: dynamodbPort, kinesis: kinesisPort } }));
      expect(error.message).toMatch(new RegExp(`Failed to start the DynamoDB \\(dynalite\\) emulator on 127\\.0\\.0\\.1:${dynamodbPort}: .*EADDRINUSE`));
      expect(error.message).toMatch(new RegExp(`Failed to start the S3/SQS \\(fauxqs\\) emulator on 127\\.0\\.0\\.1:${fauxqsPort}: .*EADDRINUSE`));
      expect(error.message).not.toMatch(/kinesalite/);
      // kinesalite did start, and was stopped again.
      expect(await isListening(kinesisPort)).toBe(false);
    } finally {
      await holder.stop();
    }
  });

  test('rejects unknown services and conflicting s3/sqs ports before starting anything', async () => {
    await expect(startEmulators({ services: ['sns' as EmulatedService] })).rejects.toThrow(/Unknown emulated service "sns"/);
    await expect(startEmulators({ services: ['s3', 'sqs'], ports: { s3: 1, sqs: 2 } })).rejects.toThrow(/s3 and sqs share one server/);
  });
});
