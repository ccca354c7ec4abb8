/**
 * DynamoDB emulator: dynalite (in-memory LevelDB) in this process.
 *
 * Differences from AWS seen here: table names must be at least 3 characters; a failed condition
 * with `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'` carries no `Item`; tables are ACTIVE right
 * after CreateTable (no CREATING delay, as configured below); no streams, TTL expiry, transactions
 * (TransactWriteItems/TransactGetItems) or PartiQL.
 */
import dynalite from 'dynalite';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  EMULATOR_CREDENTIALS,
  EMULATOR_MAX_ATTEMPTS,
  EMULATOR_REGION,
  listenHttp,
  type ListenOptions,
  type RunningEmulator,
} from './server';

/** Starts dynalite with in-memory storage and no table state delays. */
export function startDynamoDb(where: ListenOptions): Promise<RunningEmulator> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  return listenHttp(server, 'DynamoDB (dynalite)', where);
}

/** A DynamoDB client for `endpoint`; `overrides` are applied last. */
export function createDynamoDbClient(endpoint: string, overrides: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: EMULATOR_REGION,
    credentials: { ...EMULATOR_CREDENTIALS },
    maxAttempts: EMULATOR_MAX_ATTEMPTS,
    ...overrides,
  });
}
