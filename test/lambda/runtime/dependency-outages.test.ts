/**
 * Dependency outages are ridden out, not dead-lettered: the runtime's SDK clients time out a hung
 * call (sized against the function's timeout) instead of running into the function's timeout, and
 * lookups a whole batch depends on (the idempotency store, the PII key) are retried within the
 * invocation, bounded by its remaining time, instead of failing every record of the batch.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { BatchGetItemCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import type { Context } from 'aws-lambda';
import * as clickstreamTransform from '../../../examples/clickstream/transform';
import { SDK_MAX_ATTEMPTS, runtimeClientConfig, sdkTimeouts } from '../../../lambda/runtime/aws-clients';
import { stepsS3Client } from '../../../lambda/runtime/steps/steps-client';
import { createBatchHandler } from '../../../lambda/runtime/batch-handler';
import { resetPiiHasherCache } from '../../../lambda/runtime/pii-secret';
import { invocationBudget, retryWithinBudget } from '../../../lambda/runtime/time-budget';
import type { TransformModule } from '../../../lambda/runtime/transform-contract';
import { clickstreamSchemas, fakeIdempotencyTable, fakeS3Store, kinesisEvent, sampleEventLines, storedObjects, testConfig } from '../support/fixtures';

const clickstream = clickstreamTransform as unknown as TransformModule;
const logger = new Logger({ serviceName: 'dependency-outages-test', logLevel: 'SILENT' });
const TABLE = 'clickstream-idempotency';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:clickstream-pii-AbCdEf';

/** A Lambda context whose remaining time is `totalMs` less what the fake waits have spent. */
function fakeContext(totalMs: number) {
  let spent = 0;
  const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => totalMs - spent } as unknown as Context;
  const sleep = async (ms: number) => {
    spent += ms;
  };
  return { context, sleep, spent: () => spent };
}

/** An HTTP server that accepts connections and requests and never answers. */
async function hangingServer() {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server = http.createServer(() => {
    requests++;
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

describe('SDK clients set timeouts and a retry strategy sized against the function timeout', () => {
  it.each([10, 60, 300, 900])('for a %i s function, all attempts of one hung call fit in half of it', (seconds) => {
    const { connectionTimeout, requestTimeout } = sdkTimeouts(seconds);
    expect(connectionTimeout).toBeGreaterThan(0);
    expect(requestTimeout).toBeGreaterThanOrEqual(1_000);
    expect(SDK_MAX_ATTEMPTS * (connectionTimeout + requestTimeout)).toBeLessThanOrEqual((seconds * 1000) / 2);
    const c = runtimeClientConfig(seconds);
    expect(c).toMatchObject({ maxAttempts: 3, retryMode: 'standard' });
  });

  it('caps the timeouts for long functions (3 s to connect, 10 s per request) and floors them for short ones', () => {
    expect(sdkTimeouts(900)).toEqual({ connectionTimeout: 3_000, requestTimeout: 10_000 });
    expect(sdkTimeouts(60)).toEqual({ connectionTimeout: 3_000, requestTimeout: 6_000 });
    expect(sdkTimeouts(1)).toEqual({ connectionTimeout: 500, requestTimeout: 1_000 });
  });

  it('the batch workflow steps function’s S3 client has the same timeouts and retry strategy', async () => {
    const client = stepsS3Client();
    try {
      expect(await client.config.maxAttempts()).toBe(SDK_MAX_ATTEMPTS);
      const mode = client.config.retryMode;
      expect(typeof mode === 'function' ? await mode() : mode).toBe('standard');
      expect(client.config.requestHandler).toBeInstanceOf(NodeHttpHandler);
    } finally {
      client.destroy();
    }
  });

  it('a hung DynamoDB call fails after its attempts time out, well within the function timeout', async () => {
    const server = await hangingServer();
    const client = new DynamoDBClient({
      ...runtimeClientConfig(10), // a 10 s function: 1 s per request, 0.5 s to connect
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const started = Date.now();
    try {
      await expect(client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: 'a' } } }))).rejects.toThrow(/timeout|timed out/i);
      const took = Date.now() - started;
      expect(server.requests()).toBe(SDK_MAX_ATTEMPTS);
      expect(took).toBeGreaterThanOrEqual(SDK_MAX_ATTEMPTS * 1_000 - 100);
      expect(took).toBeLessThan(5_000); // half of the 10 s function timeout
    } finally {
      client.destroy();
      await server.close();
    }
  }, 20_000);

  it('the handler’s own clients time out: a hung S3 write makes the records retried, not the invocation hang', async () => {
    const server = await hangingServer();
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: server.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    try {
      const handler = createBatchHandler(clickstream, undefined, {
        config: testConfig({ functionTimeoutSeconds: 10, idField: 'eventId', eventTimeField: 'eventTime' }),
        logger,
        writeMetrics: () => undefined,
      });
      const started = Date.now();
      const response = await handler(kinesisEvent(sampleEventLines().slice(0, 2)));
      expect(response.batchItemFailures.length).toBeGreaterThan(0);
      expect(Date.now() - started).toBeLessThan(8_000);
    } finally {
      process.env = saved;
      await server.close();
    }
  }, 30_000);
});

describe('lookups are retried within the invocation, bounded by its remaining time', () => {
  // Mocked only in this block (a mock replaces every client's send, also the real ones above).
  let s3Mock: AwsClientStub<S3Client>;
  let ddbMock: AwsClientStub<DynamoDBClient>;
  let smMock: AwsClientStub<SecretsManagerClient>;
  beforeAll(() => {
    s3Mock = mockClient(S3Client);
    ddbMock = mockClient(DynamoDBClient);
    smMock = mockClient(SecretsManagerClient);
  });
  const throttled = () => Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ThrottlingException' });

  beforeEach(() => {
    s3Mock.reset();
    ddbMock.reset();
    smMock.reset();
    resetPiiHasherCache();
  });
  afterAll(() => {
    s3Mock.restore();
    ddbMock.restore();
    smMock.restore();
    resetPiiHasherCache();
  });

  function handler(sleep: (ms: number) => Promise<void>, hashing = false) {
    return createBatchHandler(clickstream, hashing ? clickstreamSchemas() : undefined, {
      config: testConfig({ idempotencyTable: TABLE, ...(hashing ? { piiSecretArn: SECRET_ARN } : {}) }),
      s3: new S3Client({ region: 'us-east-1' }),
      dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
      logger,
      writeMetrics: () => undefined,
      sleep,
    });
  }

  it('a throttled BatchGetItem (after the SDK retries) does not fail the batch: it is retried with backoff', async () => {
    fakeS3Store(s3Mock);
    fakeIdempotencyTable(ddbMock, TABLE);
    const answer = ddbMock.on(BatchGetItemCommand);
    let lookups = 0;
    answer.callsFake(async () => {
      if (++lookups <= 7) throw throttled();
      return { Responses: { [TABLE]: [] }, UnprocessedKeys: {} };
    });
    const { context, sleep, spent } = fakeContext(60_000);
    const lines = sampleEventLines().slice(0, 3);

    const response = await handler(sleep)(kinesisEvent(lines), context);

    expect(response.batchItemFailures).toEqual([]);
    expect(lookups).toBe(8);
    expect(spent()).toBeLessThan(40_000); // retries stop with a third of the time left
    expect(storedObjects(s3Mock, 'curated-bucket')).toHaveLength(1);
  });

  it('an outage longer than the budget still fails the batch (the source retries it), after about two thirds of the time', async () => {
    fakeS3Store(s3Mock);
    ddbMock.on(BatchGetItemCommand).rejects(throttled());
    const { context, sleep, spent } = fakeContext(60_000);

    await expect(handler(sleep)(kinesisEvent(sampleEventLines().slice(0, 1)), context)).rejects.toThrow('Rate of requests exceeds');
    expect(spent()).toBeGreaterThan(30_000);
    expect(spent()).toBeLessThanOrEqual(40_000);
  });

  it('a Secrets Manager failure does not fail the batch: the PII key fetch is retried within the invocation', async () => {
    fakeS3Store(s3Mock);
    fakeIdempotencyTable(ddbMock, TABLE);
    smMock
      .on(GetSecretValueCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(Object.assign(new Error('Service unavailable'), { name: 'InternalServiceError' }))
      .resolves({ SecretString: 'k3y-0f-at-least-16-characters' });
    const { context, sleep } = fakeContext(60_000);

    const response = await handler(sleep, true)(kinesisEvent(sampleEventLines().slice(0, 2)), context);

    expect(response.batchItemFailures).toEqual([]);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });
});

describe('time budget', () => {
  it('invocationBudget keeps a third of the time at the start, also by the wall clock', () => {
    let remaining = 60_000;
    let clock = 0;
    const budget = invocationBudget({ getRemainingTimeInMillis: () => remaining }, () => clock);
    expect(budget?.()).toBeCloseTo(40_000);
    remaining = 30_000;
    expect(budget?.()).toBeCloseTo(10_000);
    remaining = 60_000; // a context that does not count down
    clock = 39_000;
    expect(budget?.()).toBeCloseTo(1_000);
    expect(invocationBudget(undefined)).toBeUndefined();
  });

  it('retryWithinBudget returns the first success and throws the last error once the budget is spent', async () => {
    let left = 1_000;
    const sleep = async (ms: number) => {
      left -= ms;
    };
    let calls = 0;
    await expect(retryWithinBudget(async () => (++calls < 3 ? Promise.reject(new Error(`e${calls}`)) : 'ok'), { remainingMs: () => left, sleep })).resolves.toBe('ok');
    calls = 0;
    await expect(retryWithinBudget(async () => Promise.reject(new Error(`e${++calls}`)), { remainingMs: () => 0, sleep })).rejects.toThrow('e1');
  });
});
