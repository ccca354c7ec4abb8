/**
 * The --faults interceptor at the front door, with real SDK clients signing as a registered caller
 * and the emulators behind: each fault reaches the SDK as the service's own error (name, status,
 * retryability), hung calls are held until the client gives up, outages answer 503 or reset the
 * connection, a timeout-mid-batch falls between a claim and the next object, and the same seed makes
 * the same decisions.
 */
import { CreateTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startEmulators, type Emulators } from '../../../local/services/emulators';
import { FaultInjector, type FaultInjectorOptions } from '../../../local/faults/fault-injector';
import { parseFaultSpec } from '../../../local/faults/fault-spec';
import { CallerRegistry, type Caller } from '../../../local/services/front-door/callers';
import { startFrontDoor, type FrontDoor } from '../../../local/services/front-door/front-door';

jest.setTimeout(60_000);

const BUCKET = 'faults-bucket';
const TABLE = 'faults-table';

describe('FaultInjector', () => {
  let emulators: Emulators;
  const doors: FrontDoor[] = [];

  beforeAll(async () => {
    emulators = await startEmulators({ services: ['s3', 'dynamodb'] });
    await emulators.clients.s3().send(new CreateBucketCommand({ Bucket: BUCKET }));
    await emulators.clients.s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'there', Body: 'x' }));
    await emulators.clients.dynamodb().send(
      new CreateTableCommand({ TableName: TABLE, AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }),
    );
  });
  afterAll(async () => {
    await Promise.all(doors.map((d) => d.stop()));
    await emulators?.stop();
  });

  /** A front door with the injector for `spec`, and clients of a function signing as its caller. */
  async function door(spec: string, seed?: number, options?: FaultInjectorOptions) {
    const injector = new FaultInjector(parseFaultSpec(spec, seed), options);
    const callers = new CallerRegistry();
    const caller: Caller = { id: 'Stack/Fn', label: 'Pipeline/Fn' };
    const credentials = callers.register(caller);
    const frontDoor = await startFrontDoor({ upstreams: { s3: emulators.endpoints.s3, dynamodb: emulators.endpoints.dynamodb }, callers, interceptors: [injector] });
    doors.push(frontDoor);
    const handler = (requestTimeout?: number) => (requestTimeout ? { requestHandler: new NodeHttpHandler({ requestTimeout, throwOnRequestTimeout: true }) } : {});
    return {
      injector,
      caller,
      s3: (maxAttempts = 1, requestTimeout?: number) => emulators.clients.s3({ endpoint: frontDoor.endpoints.s3, credentials, maxAttempts, ...handler(requestTimeout) }),
      ddb: (maxAttempts = 1, requestTimeout?: number) => emulators.clients.dynamodb({ endpoint: frontDoor.endpoints.dynamodb, credentials, maxAttempts, ...handler(requestTimeout) }),
      /** A client of the run itself (not a registered caller). */
      runS3: () => emulators.clients.s3({ endpoint: frontDoor.endpoints.s3, maxAttempts: 1 }),
    };
  }

  const put = (key: string) => new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'body' });
  const item = (id: string) => new PutItemCommand({ TableName: TABLE, Item: { id: { S: id } } });
  const claim = (id: string) => new PutItemCommand({ TableName: TABLE, Item: { id: { S: id } }, ConditionExpression: 'attribute_not_exists(id)' });

  test("throttling is the service's own throttling error, and the SDK's retry absorbs it", async () => {
    const d = await door('throttle:dynamodb:1x,throttle:s3:1x');
    await expect(d.ddb().send(item('t-1'))).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } });
    await expect(d.s3().send(put('t-1'))).rejects.toMatchObject({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
    await d.ddb().send(item('t-1')); // 1x: only the first call
    expect(d.injector.injected.map((f) => [f.kind, f.service, f.operation, f.answer])).toEqual([
      ['throttle', 'dynamodb', 'PutItem', 'ProvisionedThroughputExceededException'],
      ['throttle', 's3', 'PutObject', 'SlowDown'],
    ]);

    const retried = await door('throttle:dynamodb:2x');
    await retried.ddb(3).send(item('t-2'));
    expect(retried.injector.injected.map((f) => [f.attempt, retried.injector.outcomeOf(f)])).toEqual([
      [1, 'sdk-retry'],
      [2, 'sdk-retry'],
    ]);
  });

  test('5xx is the internal error, for the operation named only', async () => {
    const d = await door('5xx:dynamodb:GetItem:1x,5xx:s3:1x');
    await d.ddb().send(item('x-1'));
    await expect(d.ddb().send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: 'x-1' } } }))).rejects.toMatchObject({ name: 'InternalServerError', $metadata: { httpStatusCode: 500 } });
    await expect(d.s3().send(put('x-1'))).rejects.toMatchObject({ name: 'InternalError', $metadata: { httpStatusCode: 500 } });
    // Not retried by anyone: the failure reached the caller.
    expect(d.injector.injected.map((f) => d.injector.outcomeOf(f))).toEqual(['reached-result', 'reached-result']);
  });

  test('a hung call is held until the client gives up; the retry goes through', async () => {
    const d = await door('hang:s3:GetObject:1x');
    const out = await d.s3(2, 300).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'there' }));
    expect(await out.Body?.transformToString()).toBe('x');
    const [fault] = d.injector.injected;
    expect(fault).toEqual(expect.objectContaining({ kind: 'hang', operation: 'GetObject', answer: 'held until the client gave up', heldMs: expect.any(Number) }));
    expect(d.injector.outcomeOf(fault)).toBe('sdk-retry');
    await expect(d.s3(1, 300).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'there' }))).resolves.toBeDefined(); // 1x: once
  });

  test('an outage refuses every call from its start call for its duration: 503 ServiceUnavailable or a reset connection', async () => {
    let now = 1_000_000;
    const d = await door('outage:dynamodb:2s@2', 3, { now: () => now });
    await d.ddb().send(item('o-1')); // the first call: before the outage
    const errors: string[] = [];
    for (let i = 0; i < 8; i++) {
      const error = (await d.ddb().send(item(`o-${i}`)).catch((e: unknown) => e)) as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
      errors.push(error.$metadata?.httpStatusCode === 503 ? `503 ${error.name}` : 'connection error');
    }
    expect(new Set(errors)).toEqual(new Set(['503 ServiceUnavailable', 'connection error']));
    expect(d.injector.injected.map((f) => f.answer).sort()).toEqual(errors.map((e) => (e === 'connection error' ? 'connection reset' : 'ServiceUnavailable')).sort());
    now += 2000; // the outage is over
    await d.ddb().send(item('o-9'));
    expect(d.injector.firedByClause()).toEqual([8]);
  });

  test('timeout-mid-batch: the first PutObject after a claim is held, the invocation timed out, its other calls held meanwhile', async () => {
    const timedOut: Caller[] = [];
    let release = () => undefined as void;
    const d = await door('timeout-mid-batch:1', 1, {
      timeOut: (caller) => {
        timedOut.push(caller);
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    await d.s3().send(put('no-claim-yet')); // no claim before it: not the middle of a batch
    await d.ddb().send(claim('m-1'));
    await expect(d.s3(1, 300).send(put('after-claim'))).rejects.toBeDefined(); // held until the client gave up
    expect(timedOut).toEqual([d.caller]);
    await expect(d.ddb(1, 300).send(item('m-2'))).rejects.toBeDefined(); // while being timed out: held
    release();
    await new Promise((r) => setImmediate(r));
    await d.ddb().send(claim('m-3'));
    await d.s3().send(put('after-second-claim')); // count 1: done
    expect(d.injector.injected.map((f) => [f.kind, f.operation, d.injector.outcomeOf(f)])).toEqual([['timeout-mid-batch', 'PutObject', 'timed-out']]);
  });

  test("the run's own clients are never faulted", async () => {
    const d = await door('5xx:s3:1');
    await d.runS3().send(put('run-own'));
    await expect(d.s3().send(put('function'))).rejects.toMatchObject({ name: 'InternalError' });
    expect(d.injector.injected).toHaveLength(1);
  });

  test('the same seed makes the same decisions, call by call; another seed others', async () => {
    const decisions = async (seed: number) => {
      const d = await door('5xx:s3:PutObject:0.5', seed);
      const failed: number[] = [];
      for (let i = 0; i < 24; i++) if (await d.s3().send(put(`seed-${i}`)).then(() => false, () => true)) failed.push(i);
      return failed;
    };
    const first = await decisions(5);
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(24);
    expect(await decisions(5)).toEqual(first);
    expect(await decisions(6)).not.toEqual(first);
  });
});
