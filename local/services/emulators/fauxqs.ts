/**
 * S3 and SQS emulator: fauxqs 1.9 (a Fastify server, in-memory) in this process. One instance
 * serves both services (and SNS) on one endpoint.
 *
 * fauxqs is ESM-only. TypeScript compiled to CommonJS turns `import()` into `require()`, so it is
 * loaded with a dynamic import that the compiler cannot see; under jest (whose sandbox has no ESM
 * loader without `--experimental-vm-modules`) the import runs through Node's own loader instead,
 * via `vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER`.
 *
 * S3 clients use `forcePathStyle` (virtual-hosted bucket hosts do not resolve here) and checksum
 * calculation/validation `WHEN_REQUIRED`, so uploads are sent as plain bodies, not aws-chunked
 * with trailing checksums (fauxqs 1.9.2 decodes aws-chunked itself, other emulators store the
 * framing), and no checksum is expected on downloads (fauxqs returns none).
 */
import * as vm from 'node:vm';
import type { Server } from 'node:http';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import {
  EMULATOR_CREDENTIALS,
  EMULATOR_MAX_ATTEMPTS,
  EMULATOR_REGION,
  hostForUrl,
  startError,
  type ListenOptions,
  type RunningEmulator,
} from './server';

const LABEL = 'S3/SQS (fauxqs)';

/** The part of the Fastify app fauxqs builds that is used here. */
interface FauxqsApp {
  readonly server: Server;
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}

/** The part of fauxqs' module namespace used here. */
interface FauxqsModule {
  buildApp(options: { logger: boolean; defaultRegion: string }): FauxqsApp;
}

let fauxqsModule: Promise<FauxqsModule> | undefined;

/** Imports an ES module by specifier, resolved from this file, from CommonJS code. */
function importEsm(specifier: string): Promise<unknown> {
  // `new Function` keeps the compiler from rewriting `import()` into `require()`.
  const nativeImport = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;
  return nativeImport(specifier).catch((error: unknown) => {
    if (!/experimental-vm-modules|ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING/.test(String(error))) throw error;
    return importWithMainContextLoader(specifier);
  });
}

/**
 * jest runs test code in a `vm` context without a dynamic-import hook; Node's default loader is
 * still reachable through a script compiled in the main context. The one-off experimental-feature
 * warning Node prints for this option is swallowed (it would appear in every test run).
 */
function importWithMainContextLoader(specifier: string): Promise<unknown> {
  const realProcess = vm.runInThisContext('process') as NodeJS.Process;
  const emitWarning = realProcess.emitWarning;
  realProcess.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes('USE_MAIN_CONTEXT_DEFAULT_LOADER')) return;
    (emitWarning as (...args: unknown[]) => void).call(realProcess, warning, ...rest);
  }) as NodeJS.Process['emitWarning'];
  try {
    const load = vm.runInThisContext('(specifier) => import(specifier)', {
      filename: __filename,
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    } as vm.RunningScriptOptions) as (s: string) => Promise<unknown>;
    return load(specifier);
  } finally {
    realProcess.emitWarning = emitWarning;
  }
}

function loadFauxqs(): Promise<FauxqsModule> {
  fauxqsModule ??= (importEsm('fauxqs') as Promise<FauxqsModule>).catch((error: unknown) => {
    fauxqsModule = undefined;
    throw error;
  });
  return fauxqsModule;
}

/**
 * Starts fauxqs (S3 + SQS + SNS) with in-memory state. Queue URLs it hands out look like
 * `http://sqs.us-east-1.localhost:<port>/000000000000/<name>`: that host does not resolve, so SQS
 * clients must be given the emulator endpoint explicitly (the factory below does; the SDK then
 * ignores the QueueUrl host).
 */
export async function startFauxqs(where: ListenOptions): Promise<RunningEmulator> {
  let app: FauxqsApp | undefined;
  let port: number;
  try {
    const { buildApp } = await loadFauxqs();
    app = buildApp({ logger: false, defaultRegion: EMULATOR_REGION });
    await app.listen({ port: where.port, host: where.host });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error(`unexpected server address ${String(address)}`);
    port = address.port;
  } catch (error) {
    await app?.close().catch(() => undefined);
    throw startError(LABEL, where, error);
  }
  const started = app;
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${hostForUrl(where.host)}:${port}`,
    port,
    stop(): Promise<void> {
      // fauxqs builds Fastify with `forceCloseConnections: true`: close() also drops keep-alive sockets.
      stopping ??= started.close();
      return stopping;
    },
  };
}

/** An S3 client for `endpoint`: path-style, checksums only when required; `overrides` are applied last. */
export function createS3Client(endpoint: string, overrides: S3ClientConfig = {}): S3Client {
  return new S3Client({
    endpoint,
    region: EMULATOR_REGION,
    credentials: { ...EMULATOR_CREDENTIALS },
    maxAttempts: EMULATOR_MAX_ATTEMPTS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...overrides,
  });
}

/** An SQS client for `endpoint`; `overrides` are applied last. */
export function createSqsClient(endpoint: string, overrides: SQSClientConfig = {}): SQSClient {
  return new SQSClient({
    endpoint,
    region: EMULATOR_REGION,
    credentials: { ...EMULATOR_CREDENTIALS },
    maxAttempts: EMULATOR_MAX_ATTEMPTS,
    ...overrides,
  });
}
