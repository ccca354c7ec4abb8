/**
 * Kinesis Data Streams emulator: kinesalite (in-memory LevelDB) in this process.
 *
 * kinesalite speaks HTTP/1.1 only, while the SDK v3 Kinesis client defaults to an HTTP/2 handler:
 * clients must use `NodeHttpHandler` (the factory below does). Differences from AWS seen here:
 * no enhanced fan-out (`SubscribeToShard`, `RegisterStreamConsumer`), no on-demand capacity mode,
 * no `StreamARN` parameters, and a shard limit (set to 50 below) instead of account quotas.
 */
import kinesalite from 'kinesalite';
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  EMULATOR_CREDENTIALS,
  EMULATOR_MAX_ATTEMPTS,
  EMULATOR_REGION,
  listenHttp,
  type ListenOptions,
  type RunningEmulator,
} from './server';

/** Starts kinesalite with in-memory storage and no stream state delays. */
export function startKinesis(where: ListenOptions): Promise<RunningEmulator> {
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 50 });
  return listenHttp(server, 'Kinesis (kinesalite)', where);
}

/** A Kinesis client for `endpoint` over HTTP/1.1; `overrides` are applied last. */
export function createKinesisClient(endpoint: string, overrides: KinesisClientConfig = {}): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: EMULATOR_REGION,
    credentials: { ...EMULATOR_CREDENTIALS },
    maxAttempts: EMULATOR_MAX_ATTEMPTS,
    requestHandler: new NodeHttpHandler(),
    ...overrides,
  });
}
