/** Helpers of the CLI tests: captured output, scripted terminals, clients, outputs files. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { CliIo, Clients } from '../../cli/context';
import { startEmulators, type Emulators } from '../../local/services/emulators';

export interface CapturedIo extends CliIo {
  readonly lines: string[];
  readonly errors: string[];
  readonly questions: string[];
}

/** Output captured in arrays; a terminal (answering with `answers`) only when `answers` is given. */
export function captureIo(answers?: string[]): CapturedIo {
  const lines: string[] = [];
  const errors: string[] = [];
  const questions: string[] = [];
  return {
    lines,
    errors,
    questions,
    out: (line) => void lines.push(line),
    err: (line) => void errors.push(line),
    isTTY: answers !== undefined,
    ask: async (q) => {
      questions.push(q);
      return answers?.shift() ?? '';
    },
  };
}

/** Clients for the CLI: the given ones, and a failing stub for every other service. */
export function clientsOf(given: Partial<{ [K in keyof Clients]: unknown }>): () => Clients {
  const stub = (service: string) => () => {
    throw new Error(`test: no ${service} client`);
  };
  const pick = (k: keyof Clients) => (given[k] ? () => given[k] : stub(k));
  return () =>
    ({
      sqs: pick('sqs'),
      s3: pick('s3'),
      eventbridge: pick('eventbridge'),
      ssm: pick('ssm'),
      sfn: pick('sfn'),
      kinesis: pick('kinesis'),
      lambda: pick('lambda'),
      cloudwatch: pick('cloudwatch'),
      cloudformation: pick('cloudformation'),
    }) as unknown as Clients;
}

/** Writes an outputs file like `cdk deploy --outputs-file` does and returns its path. */
export function writeOutputsFile(outputs: Record<string, Record<string, string>>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etl-cli-'));
  const file = path.join(dir, 'outputs.json');
  fs.writeFileSync(file, JSON.stringify(outputs, null, 2));
  return file;
}

/** A fake SDK client: `handle` answers each command by its class name. */
export function fakeClient(handle: (name: string, input: Record<string, unknown>) => unknown) {
  const calls: Array<{ name: string; input: Record<string, unknown> }> = [];
  return {
    calls,
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      calls.push({ name: command.constructor.name, input: command.input });
      return handle(command.constructor.name, command.input);
    },
  };
}

/**
 * Emulated SQS (fauxqs) for the enclosing `describe`: started before its tests, stopped after them.
 * Read `sqs` from a test or a later `beforeAll`.
 */
export function emulatedSqs(): { readonly sqs: SQSClient } {
  let emulators: Emulators | undefined;
  beforeAll(async () => {
    emulators = await startEmulators({ services: ['sqs'] });
  });
  afterAll(async () => emulators?.stop());
  return {
    get sqs(): SQSClient {
      if (!emulators) throw new Error('test: emulated SQS is not started yet (read it in a test or a beforeAll)');
      return emulators.clients.sqs();
    },
  };
}
