/**
 * Operations CLI of cdk-serverless-etl: `npx cdk-serverless-etl <command> [options]`.
 * Reads the pipeline's stack outputs (`--stack` via CloudFormation, or `--outputs` from the file
 * `cdk deploy --outputs-file` writes) and uses AWS SDK v3.
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { merge } from './commands/merge';
import { redrive } from './commands/redrive';
import { redriveStream } from './commands/redrive-stream';
import { replay } from './commands/replay';
import { restart } from './commands/restart';
import { setPaused } from './commands/pause';
import { status } from './commands/status';
import { CliError, createClients, EXIT, type CliIo, type Clients, type CommandContext } from './context';
import { describeStackOutputs, readOutputsFile, selectPipeline, type StackOutputs } from './outputs';

export const USAGE = `Usage: cdk-serverless-etl <command> [options]

Commands:
  replay --from <iso> --to <iso> [--source archive|raw] [--prefix <p>] [--rate <n/s>] [--reprocess [--run <id>]]
        Reprocess a time range: EventBridge archive replay back to the pipeline's rules, or one
        batch workflow execution per raw object modified in the range. Never duplicates curated records.
        --reprocess (a pipeline with a current table): a reprocess run that corrects: its records are
        re-derived with the current transform and the current table takes them over the first ones;
        --run <id> continues a run (objects it already started are not started again).
  redrive [--queue <output name|url>] [--to <output name|url>] [--rate <msgs/s>] [--max <n>] [--manual]
        Move an SQS DLQ's messages (buffer, delivery) back to their source queue, at most --rate
        per second (default 10). The current table's merge DLQ (--queue MergeDlqUrl): its curated
        objects back to the merge queue as {"bucket","key"}; undelivered merge starts are deleted.
  redrive-stream [--queue <KinesisDlqNUrl|url>] [--rate <records/s>] [--max <n>]
        Redrive the Kinesis DLQ: read each message's shard range back from the stream and put its
        records on the stream again (same partition keys and data), at most --rate records per
        second (default 500); --max ranges at most. A message is deleted once its whole range was
        put; ranges past the stream's retention are reported and left in the DLQ.
  restart [--queue <output name|url>] [--rate <runs/s>] [--max <n>] [--force]
        Start the batch workflow again for each run in its DLQ (failed, timed out, aborted, deferred
        while paused, or an undelivered start event), with {"bucket","key"}, at most --rate per
        second (default 5); --max messages at most. A message is deleted once its execution
        started; messages that name no run are reported and left. Refuses while the pipeline is
        paused, unless --force.
  pause | resume
        Set the pipeline's paused flag (SSM) to true / false, and disable / enable the stream and
        bus event source mappings (their records wait in the stream and queue while paused).
        Resume after the schema drift is handled.
  merge [--wait] [--maintenance]
        Start the current table's merge state machine now (it takes every pending curated object);
        --wait follows the execution and exits 1 unless it succeeds. After a redrive, a fix or a replay.
        --maintenance: start the maintenance state machine instead (OPTIMIZE, VACUUM); refused while
        one runs.
  status
        Paused flag, DLQ and buffer depths, buffer, DLQ and Kinesis iterator ages (CloudWatch, last
        15 min), last batch workflow executions; the current table's merge backlog (depth, oldest
        age), merge DLQ, last merge and maintenance.
  start [--app <command>] [--input <file.jsonl>] [--via stream|bus|batch|all|each] [...]
        Run the app of ./cdk.json (or --app) end to end on local emulators, no AWS account: synth,
        resources, functions, input, report with a conservation check. Its own options and exit codes:
        \`cdk-serverless-etl start --help\`. Needs aws-cdk and the emulator packages in the project.

Global options:
  --stack <name>          read the stack's outputs with CloudFormation DescribeStacks
  --outputs <file.json>   read outputs from a \`cdk deploy --outputs-file\` file (with --stack: pick that stack)
  --pipeline <name>       the pipeline to work on, by its pipelineName (or its construct path, as in its
                          output keys); needed when the stack has several pipelines
  --region <region>       AWS region (default: the SDK's configuration)
  --yes, -y               do not ask for confirmation
  --dry-run               show what would be done; change nothing (redrive-stream and restart read
                          the DLQ's messages and put them back)
  --help, -h              this text

Exit codes: 0 done, 1 failed, 2 usage error, 3 not confirmed or refused, 4 done in part: messages
that could not be handled were left in the DLQ (each reported).`;

const OPTIONS = {
  stack: { type: 'string' },
  outputs: { type: 'string' },
  pipeline: { type: 'string' },
  region: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  from: { type: 'string' },
  to: { type: 'string' },
  source: { type: 'string' },
  prefix: { type: 'string' },
  queue: { type: 'string' },
  rate: { type: 'string' },
  max: { type: 'string' },
  manual: { type: 'boolean' },
  force: { type: 'boolean' },
  wait: { type: 'boolean' },
  maintenance: { type: 'boolean' },
  reprocess: { type: 'boolean' },
  run: { type: 'string' },
} as const;

/** Options of each command (besides the global ones). */
const COMMAND_OPTIONS: Record<string, readonly string[]> = {
  replay: ['from', 'to', 'source', 'prefix', 'rate', 'reprocess', 'run'],
  redrive: ['queue', 'to', 'rate', 'max', 'manual'],
  'redrive-stream': ['queue', 'rate', 'max'],
  restart: ['queue', 'rate', 'max', 'force'],
  pause: [],
  resume: [],
  status: [],
  merge: ['wait', 'maintenance'],
};

/** What `main` needs from its surroundings (tests replace them). */
export interface MainDeps {
  readonly io?: CliIo;
  /** Makes the SDK clients (default: real clients for `--region`). */
  readonly clients?: (region?: string) => Clients;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Long-poll seconds of the receive that decides a DLQ is empty (default 2; tests shorten it). */
  readonly emptyWaitSeconds?: number;
  /** Milliseconds between polls of an execution `merge --wait` follows (default 5000; tests shorten it). */
  readonly pollMs?: number;
}

/** Runs the CLI and returns its exit code. Never throws. */
export async function main(argv: readonly string[], deps: MainDeps = {}): Promise<number> {
  const io = deps.io ?? processIo();
  try {
    // `start` (the local runner) has options and exit codes of its own; loaded only when used.
    if (argv[0] === 'start') return await (await import('./start')).start(argv.slice(1));
    let parsed;
    try {
      parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    } catch (error) {
      throw new CliError(`${(error as Error).message}\n\n${USAGE}`, EXIT.usage);
    }
    const { values, positionals } = parsed;
    if (values.help || positionals.length === 0) {
      (values.help ? io.out : io.err)(USAGE);
      return values.help ? EXIT.ok : EXIT.usage;
    }
    const [command, ...extra] = positionals;
    if (!(command in COMMAND_OPTIONS)) throw new CliError(`unknown command "${command}"\n\n${USAGE}`, EXIT.usage);
    if (extra.length > 0) throw new CliError(`unexpected argument(s): ${extra.join(' ')}`, EXIT.usage);
    const globals = new Set(['stack', 'outputs', 'pipeline', 'region', 'yes', 'dry-run', 'help']);
    const misplaced = Object.keys(values).filter((k) => !globals.has(k) && !COMMAND_OPTIONS[command].includes(k));
    if (misplaced.length > 0) throw new CliError(`${command} does not take ${misplaced.map((k) => `--${k}`).join(', ')}`, EXIT.usage);

    const clients = (deps.clients ?? createClients)(values.region);
    const pipeline = selectPipeline(await loadOutputs(clients, values.stack, values.outputs), values.pipeline);
    const ctx: CommandContext = { io, clients, pipeline, yes: values.yes ?? false, dryRun: values['dry-run'] ?? false, sleep: deps.sleep };

    switch (command) {
      case 'replay': {
        if (!values.from || !values.to) throw new CliError('replay needs --from <iso> and --to <iso>', EXIT.usage);
        const source = values.source;
        if (source !== undefined && source !== 'archive' && source !== 'raw') throw new CliError(`--source must be archive or raw, got ${source}`, EXIT.usage);
        await replay(ctx, {
          from: parseTime('--from', values.from),
          to: parseTime('--to', values.to),
          source,
          prefix: values.prefix,
          rate: parseNumber('--rate', values.rate),
          reprocess: values.reprocess,
          run: values.run,
        });
        break;
      }
      case 'redrive':
        await redrive(ctx, { ...dlqOptions(values, deps), to: values.to, manual: values.manual });
        break;
      case 'redrive-stream':
        await redriveStream(ctx, dlqOptions(values, deps));
        break;
      case 'restart':
        await restart(ctx, { ...dlqOptions(values, deps), force: values.force });
        break;
      case 'pause':
      case 'resume':
        await setPaused(ctx, command === 'pause');
        break;
      case 'status':
        await status(ctx);
        break;
      case 'merge':
        await merge(ctx, { wait: values.wait, maintenance: values.maintenance, pollMs: deps.pollMs });
        break;
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`${error.exitCode === EXIT.partial ? 'incomplete' : 'error'}: ${error.message}`);
      return error.exitCode;
    }
    const e = error as { name?: string; message?: string };
    io.err(`error: ${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`);
    return EXIT.failed;
  }
}

async function loadOutputs(clients: Clients, stack: string | undefined, file: string | undefined): Promise<StackOutputs> {
  if (file) return readOutputsFile(file, stack);
  if (stack) return describeStackOutputs(clients.cloudformation(), stack);
  throw new CliError('give the pipeline stack with --stack <name> or --outputs <file.json>', EXIT.usage);
}

/** The options of the commands that work a DLQ: which, how fast, how many. */
function dlqOptions(values: { queue?: string; rate?: string; max?: string }, deps: MainDeps) {
  return {
    queue: values.queue,
    rate: parseNumber('--rate', values.rate),
    max: parseNumber('--max', values.max, true),
    emptyWaitSeconds: deps.emptyWaitSeconds,
  };
}

function parseTime(flag: string, text: string): Date {
  // ISO 8601 only: a date, or a date and time (with Z or an offset; local time otherwise).
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    throw new CliError(`${flag} must be an ISO 8601 time such as 2026-01-31T12:00:00Z, got "${text}"`, EXIT.usage);
  }
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new CliError(`${flag} is not a valid time: "${text}"`, EXIT.usage);
  return date;
}

function parseNumber(flag: string, text: string | undefined, integer = false): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new CliError(`${flag} must be a positive ${integer ? 'integer' : 'number'}, got "${text}"`, EXIT.usage);
  }
  return n;
}

/** The terminal: stdout/stderr, and prompts on stdin when both ends are a TTY. */
export function processIo(): CliIo {
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    ask: async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
  };
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
