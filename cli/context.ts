/**
 * What every command of the operations CLI shares: output, confirmation, SDK clients, errors.
 * Commands never print with `console`: they write through {@link CliIo}, so tests capture it.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { CliError, EXIT } from './errors';
import type { PipelineOutputs } from './outputs';

export { CliError, EXIT } from './errors';

/** Where the CLI writes, and whether it may ask the operator. */
export interface CliIo {
  /** Writes one line of normal output. */
  out(line: string): void;
  /** Writes one line of diagnostics. */
  err(line: string): void;
  /** Whether stdin and stdout are a terminal (prompts are only shown on a terminal). */
  readonly isTTY: boolean;
  /** Asks a question on the terminal and returns the answer. */
  ask(question: string): Promise<string>;
}

/** The SDK v3 clients the commands use; created lazily, once each. */
export interface Clients {
  sqs(): SQSClient;
  s3(): S3Client;
  eventbridge(): EventBridgeClient;
  ssm(): SSMClient;
  sfn(): SFNClient;
  kinesis(): KinesisClient;
  lambda(): LambdaClient;
  cloudwatch(): CloudWatchClient;
  cloudformation(): CloudFormationClient;
}

/** Clients for the given region (default: the SDK's region resolution), made on first use. */
export function createClients(region?: string): Clients {
  const config = region ? { region } : {};
  const once = <T>(make: () => T): (() => T) => {
    let made: T | undefined;
    return () => (made ??= make());
  };
  return {
    sqs: once(() => new SQSClient(config)),
    s3: once(() => new S3Client(config)),
    eventbridge: once(() => new EventBridgeClient(config)),
    ssm: once(() => new SSMClient(config)),
    sfn: once(() => new SFNClient(config)),
    kinesis: once(() => new KinesisClient(config)),
    lambda: once(() => new LambdaClient(config)),
    cloudwatch: once(() => new CloudWatchClient(config)),
    cloudformation: once(() => new CloudFormationClient(config)),
  };
}

/** Options every command receives. */
export interface CommandContext {
  readonly io: CliIo;
  readonly clients: Clients;
  /** The outputs of the pipeline the command works on, read once before the command runs. */
  readonly pipeline: PipelineOutputs;
  readonly yes: boolean;
  readonly dryRun: boolean;
  /** Sleeps (replaceable in tests; the rate caps are measured with the real one). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Paces actions to at most `ratePerSecond`: action n (0-based) starts no earlier than n / rate
 * seconds after the first, and no earlier than 1 / rate seconds after the one before it (a late
 * action is not caught up by bunching the next ones), so no window of a second ever holds more
 * than `rate` actions.
 */
export class RateLimiter {
  private readonly intervalMs: number;
  private started?: number;
  private previous?: number;
  private count = 0;

  constructor(
    readonly ratePerSecond: number,
    private readonly sleep: (ms: number) => Promise<void> = realSleep,
  ) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new CliError(`rate must be a positive number, got ${ratePerSecond}`, EXIT.usage);
    this.intervalMs = 1000 / ratePerSecond;
  }

  /**
   * Waits for the next slot, or for the last of the next `n` slots when `n` actions are to be done
   * at once (a batch request): the batch then stands for `n` actions in the window.
   */
  async take(n = 1): Promise<void> {
    const now = Date.now();
    this.started ??= now;
    const due = Math.max(this.started + (this.count + n - 1) * this.intervalMs, this.previous === undefined ? now : this.previous + n * this.intervalMs);
    this.count += n;
    if (due > now) await this.sleep(Math.ceil(due - now));
    this.previous = Math.max(due, Date.now());
  }
}

/** The error's name, for deciding whether an API is unavailable. */
export function errorName(error: unknown): string {
  const e = error as { name?: string; Code?: string; message?: string };
  return `${e?.name ?? ''} ${e?.Code ?? ''} ${e?.message ?? ''}`;
}
