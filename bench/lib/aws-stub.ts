/**
 * In-process answers to AWS calls, counting calls and DynamoDB capacity units.
 *
 * Two ways to plug it in, both at the SDK client:
 * - `sendStub`: a client whose `send(command)` is answered directly (no SDK middleware runs);
 * - `httpStub`: a real SDK v3 client (serialization, middleware, SigV4 signing, checksums,
 *   deserialization all run) whose request handler answers the HTTP request in-process, with no
 *   network. This is what one call costs in CPU on Lambda, minus the wire.
 *
 * Scenario `new`: every id is unknown (BatchGetItem returns nothing, conditional puts succeed).
 * Scenario `duplicate`: every id is already claimed/completed and every object exists.
 */
import { Readable } from 'node:stream';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';

export type Scenario = 'new' | 'duplicate';

/** Calls and capacity units, as DynamoDB and S3 would bill them. */
export interface Meter {
  calls: number;
  byOperation: Record<string, number>;
  /** DynamoDB write request units (items ≤ 1 KB: 1 per item written, also per failed conditional write). */
  writeUnits: number;
  /** DynamoDB read request units (strongly consistent, items ≤ 4 KB: 1 per key read). */
  readUnits: number;
  /** S3 PUT-class requests. */
  s3Puts: number;
  /** S3 GET-class requests (HeadObject, GetObject). */
  s3Gets: number;
}

export function newMeter(): Meter {
  return { calls: 0, byOperation: {}, writeUnits: 0, readUnits: 0, s3Puts: 0, s3Gets: 0 };
}

/** Adds one call to the meter, with the capacity it consumes. */
export function meterCall(meter: Meter, operation: string, input: Record<string, unknown>): void {
  meter.calls++;
  meter.byOperation[operation] = (meter.byOperation[operation] ?? 0) + 1;
  const requestItems = input.RequestItems as Record<string, unknown> | undefined;
  switch (operation) {
    case 'BatchWriteItem':
      meter.writeUnits += Object.values(requestItems ?? {}).reduce<number>((n, v) => n + (v as unknown[]).length, 0);
      break;
    case 'BatchGetItem':
      meter.readUnits += Object.values(requestItems ?? {}).reduce<number>((n, v) => n + ((v as { Keys: unknown[] }).Keys ?? []).length, 0);
      break;
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
      meter.writeUnits += 1;
      break;
    case 'GetItem':
      meter.readUnits += 1;
      break;
    case 'PutObject':
    case 'CopyObject':
    case 'ListObjectsV2':
      meter.s3Puts += 1;
      break;
    case 'HeadObject':
    case 'GetObject':
      meter.s3Gets += 1;
      break;
    default:
      break;
  }
}

type Attr = Record<string, { S?: string; N?: string }>;
type Answer = { output: Record<string, unknown> } | { error: { name: string; message: string; Item?: Attr } };

/** The stubbed services' answers. */
export class AwsStub {
  public meter = newMeter();
  public scenario: Scenario = 'new';

  public reset(scenario: Scenario = this.scenario): void {
    this.meter = newMeter();
    this.scenario = scenario;
  }

  public answer(operation: string, input: Record<string, unknown>): Answer {
    meterCall(this.meter, operation, input);
    const dup = this.scenario === 'duplicate';
    switch (operation) {
      case 'BatchGetItem': {
        const items = input.RequestItems as Record<string, { Keys: Attr[] }>;
        const Responses: Record<string, Attr[]> = {};
        for (const [table, { Keys }] of Object.entries(items)) {
          Responses[table] = dup ? Keys.map((k) => ({ ...k, objectKey: { S: 'clickstream/dt=2026-11-24/hr=08/existing.jsonl.gz' } })) : [];
        }
        return { output: { Responses, UnprocessedKeys: {} } };
      }
      case 'BatchWriteItem':
        return { output: { UnprocessedItems: {} } };
      case 'PutItem': {
        if (dup && input.ConditionExpression) {
          const item = input.Item as Attr;
          const Item: Attr = {
            ...item,
            status: { S: 'COMPLETED' },
            expiration: { N: String(Math.floor(Date.now() / 1000) + 3600) },
            data: { S: '{"curated":1}' },
          };
          return { error: { name: 'ConditionalCheckFailedException', message: 'The conditional request failed', Item } };
        }
        return { output: {} };
      }
      case 'UpdateItem':
      case 'DeleteItem':
        return { output: {} };
      case 'GetItem':
        return { output: {} };
      case 'PutObject':
        return { output: { ETag: '"d41d8cd98f00b204e9800998ecf8427e"' } };
      case 'HeadObject':
        return { output: { ContentLength: 10, ETag: '"d41d8cd98f00b204e9800998ecf8427e"' } };
      default:
        return { error: { name: 'NotImplemented', message: `stub: ${operation} is not answered` } };
    }
  }

  /** Answers `send(command)` directly (no SDK middleware). */
  public async send(command: { constructor: { name: string }; input: Record<string, unknown> }): Promise<Record<string, unknown>> {
    const operation = command.constructor.name.replace(/Command$/, '');
    const answer = this.answer(operation, command.input);
    if ('output' in answer) return { $metadata: { httpStatusCode: 200 }, ...answer.output };
    if (answer.error.name === 'ConditionalCheckFailedException') {
      throw new ConditionalCheckFailedException({ message: answer.error.message, $metadata: { httpStatusCode: 400 }, Item: answer.error.Item as never });
    }
    const e = new Error(answer.error.message);
    e.name = answer.error.name;
    throw e;
  }

  /** An SDK request handler answering HTTP requests in-process (the whole SDK client runs). */
  public requestHandler() {
    return {
      metadata: { handlerProtocol: 'http/1.1' },
      handle: async (request: HttpRequest) => ({ response: this.httpAnswer(request) }),
      updateHttpClientConfig: () => undefined,
      httpHandlerConfigs: () => ({}),
      destroy: () => undefined,
    };
  }

  private httpAnswer(request: HttpRequest): HttpResponse {
    const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'];
    if (target) {
      const operation = target.split('.')[1];
      const body = request.body instanceof Uint8Array ? Buffer.from(request.body).toString('utf8') : String(request.body ?? '{}');
      const answer = this.answer(operation, JSON.parse(body));
      const headers = { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'stub' };
      if ('output' in answer) return response(200, headers, JSON.stringify(answer.output));
      return response(
        400,
        headers,
        JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${answer.error.name}`, message: answer.error.message, Item: answer.error.Item }),
      );
    }
    // S3 (REST-XML): PUT → PutObject, HEAD → HeadObject.
    const operation = request.method === 'PUT' ? 'PutObject' : request.method === 'HEAD' ? 'HeadObject' : `S3-${request.method}`;
    const answer = this.answer(operation, { Key: request.path });
    const headers = { etag: '"d41d8cd98f00b204e9800998ecf8427e"', 'x-amz-request-id': 'stub', 'content-length': '0' };
    if ('output' in answer) return response(200, operation === 'HeadObject' ? { ...headers, 'content-length': '10' } : headers, '');
    return response(501, headers, '');
  }
}

/** The HTTP request the SDK hands its request handler (the fields the stub reads). */
interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

/** An HTTP response as the SDK's deserializers read it (duck-typed like smithy's HttpResponse). */
interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Readable;
}

function response(statusCode: number, headers: Record<string, string>, body: string): HttpResponse {
  return { statusCode, headers, body: Readable.from([Buffer.from(body)]) };
}

const STUB_CLIENT_CONFIG = { region: 'us-east-1', credentials: { accessKeyId: 'AKIDBENCHMARK', secretAccessKey: 'benchmark-secret' }, maxAttempts: 1 };

/** SDK clients answered by `stub`: `send` replaced (mode `send`) or the HTTP handler replaced (mode `http`). */
export function stubClients(stub: AwsStub, mode: 'send' | 'http'): { s3: S3Client; dynamodb: DynamoDBClient } {
  if (mode === 'http') {
    const requestHandler = stub.requestHandler();
    return {
      s3: new S3Client({ ...STUB_CLIENT_CONFIG, requestHandler }),
      dynamodb: new DynamoDBClient({ ...STUB_CLIENT_CONFIG, requestHandler }),
    };
  }
  const s3 = new S3Client(STUB_CLIENT_CONFIG);
  const dynamodb = new DynamoDBClient(STUB_CLIENT_CONFIG);
  for (const client of [s3, dynamodb]) (client as unknown as { send: unknown }).send = (command: never) => stub.send(command);
  return { s3, dynamodb };
}

/** Wraps a real client's `send` to meter its calls (emulator runs). */
export function metered<T extends { send: unknown }>(client: T, meter: () => Meter): T {
  const send = (client.send as (c: unknown) => Promise<unknown>).bind(client);
  (client as unknown as { send: unknown }).send = (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    meterCall(meter(), command.constructor.name.replace(/Command$/, ''), command.input);
    return send(command);
  };
  return client;
}
