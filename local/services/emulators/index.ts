/**
 * Local AWS emulators for tests and the local pipeline runner: S3 and SQS (fauxqs), DynamoDB
 * (dynalite) and Kinesis (kinesalite), all in this process, in memory, on 127.0.0.1 with ports
 * picked by the OS. No Docker, no AWS account.
 *
 * @example
 * const emulators = await startEmulators({ services: ['s3', 'dynamodb'] });
 * try {
 *   await emulators.clients.s3().send(new CreateBucketCommand({ Bucket: 'raw' }));
 * } finally {
 *   await emulators.stop();
 * }
 */
import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { KinesisClient, KinesisClientConfig } from '@aws-sdk/client-kinesis';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { SQSClient, SQSClientConfig } from '@aws-sdk/client-sqs';
import { createDynamoDbClient, startDynamoDb } from './dynamodb';
import { createS3Client, createSqsClient, startFauxqs } from './fauxqs';
import { createKinesisClient, startKinesis } from './kinesis';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, type ListenOptions, type RunningEmulator } from './server';

export { EMULATOR_CREDENTIALS, EMULATOR_MAX_ATTEMPTS, EMULATOR_REGION } from './server';
export { createDynamoDbClient } from './dynamodb';
export { createKinesisClient } from './kinesis';
export { createS3Client, createSqsClient } from './fauxqs';

/** A service the harness can emulate. */
export type EmulatedService = 's3' | 'sqs' | 'dynamodb' | 'kinesis';

/** Every service, in start order. */
export const ALL_SERVICES: readonly EmulatedService[] = Object.freeze(['s3', 'sqs', 'dynamodb', 'kinesis']);

/** Options of {@link startEmulators}. */
export interface StartEmulatorsOptions {
  /** Services to start; all four by default. s3 and sqs share one fauxqs server. */
  readonly services?: readonly EmulatedService[];
  /** Interface to bind; `127.0.0.1` by default. */
  readonly host?: string;
  /**
   * Fixed ports per service (default: `0`, a free port picked by the OS). s3 and sqs share a
   * server, so giving both requires the same port.
   */
  readonly ports?: Readonly<Partial<Record<EmulatedService, number>>>;
}

/**
 * Factories for SDK v3 clients configured for the emulators (endpoint, region, credentials,
 * retries, and the per-service settings the emulators need). `overrides` are applied last.
 * Clients made here are destroyed by {@link Emulators.stop}. Calling the factory of a service
 * that was not started throws.
 */
export interface EmulatorClients {
  s3(overrides?: S3ClientConfig): S3Client;
  sqs(overrides?: SQSClientConfig): SQSClient;
  dynamodb(overrides?: DynamoDBClientConfig): DynamoDBClient;
  kinesis(overrides?: KinesisClientConfig): KinesisClient;
}

/** Running emulators, as returned by {@link startEmulators}. */
export interface Emulators {
  /** Endpoint URL of each started service (s3 and sqs are the same fauxqs server). */
  readonly endpoints: Readonly<Partial<Record<EmulatedService, string>>>;
  /** Region the clients use: `us-east-1`. */
  readonly region: typeof EMULATOR_REGION;
  /** Dummy credentials the clients use. */
  readonly credentials: Readonly<{ accessKeyId: string; secretAccessKey: string }>;
  /** Client factories. */
  readonly clients: EmulatorClients;
  /**
   * Environment variables that point SDK v3 clients built with default settings (e.g. by Lambda
   * handler code run in-process) at the emulators: `AWS_ENDPOINT_URL_<SERVICE>`, region, dummy
   * credentials and S3 checksum mode. A default Kinesis client still uses HTTP/2, which kinesalite
   * does not speak: Kinesis callers need {@link EmulatorClients.kinesis} or a `NodeHttpHandler`.
   */
  readonly env: Readonly<Record<string, string>>;
  /** Milliseconds each service took to start (s3 and sqs report their shared server's time). */
  readonly startupMs: Readonly<Partial<Record<EmulatedService, number>>>;
  /** Destroys the clients made by {@link clients} and closes every server. Idempotent. */
  stop(): Promise<void>;
}

/** One server to start and the services it provides. */
interface Plan {
  readonly services: EmulatedService[];
  readonly start: (where: ListenOptions) => Promise<RunningEmulator>;
  readonly port: number;
}

/**
 * Starts the requested emulators concurrently. If any fails to start, the others are stopped and
 * the returned promise rejects with an error naming the emulator(s) that failed.
 */
export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<Emulators> {
  const requested = new Set(options.services ?? ALL_SERVICES);
  for (const service of requested) {
    if (!ALL_SERVICES.includes(service)) throw new Error(`Unknown emulated service "${String(service)}"; use one of ${ALL_SERVICES.join(', ')}`);
  }
  const host = options.host ?? '127.0.0.1';
  const plans: Plan[] = [];
  const addPlan = (services: EmulatedService[], start: Plan['start']): void => {
    if (services.length > 0) plans.push({ services, start, port: portFor(services, options.ports) });
  };
  addPlan(ALL_SERVICES.filter((s) => (s === 's3' || s === 'sqs') && requested.has(s)), startFauxqs);
  addPlan(requested.has('dynamodb') ? ['dynamodb'] : [], startDynamoDb);
  addPlan(requested.has('kinesis') ? ['kinesis'] : [], startKinesis);

  const results = await Promise.allSettled(
    plans.map(async (plan) => {
      const started = Date.now();
      const emulator = await plan.start({ host, port: plan.port });
      return { plan, emulator, ms: Date.now() - started };
    }),
  );

  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  const running = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (failures.length > 0) {
    await Promise.allSettled(running.map((r) => r.emulator.stop()));
    const reasons = failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason)));
    throw new Error(reasons.join('; '), { cause: failures[0].reason });
  }

  const endpoints: Partial<Record<EmulatedService, string>> = {};
  const startupMs: Partial<Record<EmulatedService, number>> = {};
  for (const { plan, emulator, ms } of running) {
    for (const service of plan.services) {
      endpoints[service] = emulator.endpoint;
      startupMs[service] = ms;
    }
  }

  const madeClients: Array<{ destroy(): void }> = [];
  const track = <T extends { destroy(): void }>(client: T): T => {
    madeClients.push(client);
    return client;
  };
  const endpointOf = (service: EmulatedService): string => {
    const endpoint = endpoints[service];
    if (!endpoint) throw new Error(`The ${service} emulator was not started: add '${service}' to startEmulators({ services })`);
    return endpoint;
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const client of madeClients.splice(0)) client.destroy();
      const closed = await Promise.allSettled(running.map((r) => r.emulator.stop()));
      const errors = closed.filter((c): c is PromiseRejectedResult => c.status === 'rejected').map((c) => c.reason);
      if (errors.length > 0) throw new AggregateError(errors, 'Some emulators did not stop cleanly');
    })();
    return stopping;
  };

  return {
    endpoints: Object.freeze(endpoints),
    region: EMULATOR_REGION,
    credentials: { ...EMULATOR_CREDENTIALS },
    clients: {
      s3: (overrides) => track(createS3Client(endpointOf('s3'), overrides)),
      sqs: (overrides) => track(createSqsClient(endpointOf('sqs'), overrides)),
      dynamodb: (overrides) => track(createDynamoDbClient(endpointOf('dynamodb'), overrides)),
      kinesis: (overrides) => track(createKinesisClient(endpointOf('kinesis'), overrides)),
    },
    env: Object.freeze(environmentFor(endpoints)),
    startupMs: Object.freeze(startupMs),
    stop,
  };
}

/** The port for a server providing `services`: the one configured (they must agree), else 0. */
function portFor(services: readonly EmulatedService[], ports: StartEmulatorsOptions['ports']): number {
  const configured = [...new Set(services.map((s) => ports?.[s]).filter((p): p is number => p !== undefined))];
  if (configured.length > 1) throw new Error(`${services.join(' and ')} share one server: give them the same port, not ${configured.join(' and ')}`);
  return configured[0] ?? 0;
}

/** SDK v3 environment configuration for the started services. */
function environmentFor(endpoints: Partial<Record<EmulatedService, string>>): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: EMULATOR_REGION,
    AWS_DEFAULT_REGION: EMULATOR_REGION,
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
  };
  if (endpoints.s3) {
    env.AWS_ENDPOINT_URL_S3 = endpoints.s3;
    env.AWS_REQUEST_CHECKSUM_CALCULATION = 'WHEN_REQUIRED';
    env.AWS_RESPONSE_CHECKSUM_VALIDATION = 'WHEN_REQUIRED';
  }
  if (endpoints.sqs) env.AWS_ENDPOINT_URL_SQS = endpoints.sqs;
  if (endpoints.dynamodb) env.AWS_ENDPOINT_URL_DYNAMODB = endpoints.dynamodb;
  if (endpoints.kinesis) env.AWS_ENDPOINT_URL_KINESIS = endpoints.kinesis;
  return env;
}
