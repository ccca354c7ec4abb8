import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { IAM_MODES, type IamMode } from '../iam/authorizer';
import { checkFaultOperations, parseFaultSpec, type FaultPlan } from '../faults/fault-spec';
import type { Via } from './pipeline-run';

/** The usage of `cdk-serverless-etl start` (`npm start -- <options>` in this repository). */
export const USAGE =
  'Usage: cdk-serverless-etl start [--app <command>] [--assembly <dir> | --cdk-out <dir>] [--context <key>=<value> ...] [--input <file.jsonl> ...]\n' +
  '                                [--via stream|bus|batch|all|each] [--pipeline <name>] [--rate <events/s>] [--json <report.json>] [--out <dir>] [--summary-only]\n' +
  '                                [--iam enforce|report|off]\n' +
  '       --input: repeat it to send inputs one after the other, each merged into the current tables before the next\n' +
  '                (default: the clickstream sample events, then their corrections)\n' +
  '       --context: a CDK context value for synth, as cdk synth --context takes it (e.g. --context deduplication=table)\n' +
  '       cdk-serverless-etl start --query "<SQL>"   queries the tables the last run kept (its Glue tables and current tables, on DuckDB)\n' +
  '       cdk-serverless-etl start --reprocess       re-derives the last run\'s input with the app as it is now (a changed transform) and corrects the kept current table\n' +
  '                                [--faults <spec> [--seed <n>]]   e.g. --faults throttle:dynamodb:0.1,5xx:s3:0.05,hang:s3:PutObject:1x,timeout-mid-batch:1,outage:dynamodb:2s@30\n' +
  '  (in the cdk-serverless-etl repository: npm start -- <options>)';

/** Parsed `start` options. */
export interface CliOptions {
  /** The CDK app command (default: the `app` of cdk.json in the current directory). */
  readonly app?: string;
  /** Use this cloud assembly instead of synthesizing. */
  readonly assembly?: string;
  /** Where synth writes the cloud assembly. */
  readonly cdkOut: string;
  /** CDK context values for synth (`--context key=value`, as `cdk synth --context` takes them). */
  readonly context: Readonly<Record<string, string>>;
  /**
   * Input events files, sent one after the other, each merged into the current tables before the
   * next (default: the reference sample events, then their corrections).
   */
  readonly inputs: readonly string[];
  readonly via: Via;
  /** The pipeline the input goes to (its pipelineName or construct path), in an app with several. */
  readonly pipeline?: string;
  readonly rate?: number;
  readonly json?: string;
  readonly out?: string;
  /** IAM: refuse what the app's policies do not allow (`enforce`, default), list it (`report`) or check nothing (`off`). */
  readonly iam: IamMode;
  /** Faults to inject into the functions' AWS calls (`--faults`, `--seed`). */
  readonly faults?: FaultPlan;
  /** Only synthesize and print the deploy summary (no run). */
  readonly summaryOnly: boolean;
  /** Query the tables the last run kept (no run). */
  readonly query?: string;
  /** Re-derive the last run's input with the app as it is now, correcting the kept current table (see local/run/reprocess.ts). */
  readonly reprocess: boolean;
  readonly help: boolean;
}

/** The reference sample events. */
export const SAMPLE_EVENTS = path.join(__dirname, '..', '..', 'examples', 'clickstream', 'sample-events.jsonl');
/** Corrections of the sample events (newer revisions, retractions): the default second input. */
export const SAMPLE_CORRECTIONS = path.join(__dirname, '..', '..', 'examples', 'clickstream', 'sample-corrections.jsonl');

/** Parses `argv`; throws with a message naming the bad option. */
export function parseCliOptions(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      app: { type: 'string' },
      assembly: { type: 'string' },
      'cdk-out': { type: 'string' },
      input: { type: 'string', multiple: true },
      context: { type: 'string', multiple: true },
      via: { type: 'string' },
      pipeline: { type: 'string' },
      rate: { type: 'string' },
      json: { type: 'string' },
      out: { type: 'string' },
      'summary-only': { type: 'boolean' },
      iam: { type: 'string' },
      faults: { type: 'string' },
      seed: { type: 'string' },
      query: { type: 'string' },
      reprocess: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  // `s3` is the earlier name of `batch` (one JSON Lines object into the raw bucket).
  const via = (values.via === 's3' ? 'batch' : (values.via ?? 'all')) as Via;
  if (!['stream', 'bus', 'batch', 'all', 'each'].includes(via)) throw new Error(`--via must be stream, bus, batch, all or each, not "${values.via}"`);
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) throw new Error(`--rate must be a positive number of events per second, not "${values.rate}"`);
  const iam = (values.iam ?? 'enforce') as IamMode;
  if (!IAM_MODES.includes(iam)) throw new Error(`--iam must be ${IAM_MODES.join(', ')}, not "${values.iam}"`);
  if (values.app && values.assembly) throw new Error('--app and --assembly exclude each other: --assembly skips synth');
  if (values.seed !== undefined && values.faults === undefined) throw new Error('--seed seeds the faults of --faults: give --faults too');
  const seed = values.seed === undefined ? undefined : /^\d+$/.test(values.seed) ? Number(values.seed) : NaN;
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new Error(`--seed must be a whole number ≥ 0, not "${values.seed}"`);
  if (values.query !== undefined && values.query.trim() === '') throw new Error('--query needs a SQL statement, e.g. --query "SELECT count(*) FROM <database>.<table>"');
  if (values.reprocess) {
    const excluded = (['input', 'via', 'query', 'summary-only'] as const).filter((o) => values[o] !== undefined);
    if (excluded.length > 0) throw new Error(`--reprocess re-derives the last run's input through the batch workflow: it does not take ${excluded.map((o) => `--${o}`).join(', ')}`);
  }
  const context: Record<string, string> = {};
  for (const pair of values.context ?? []) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--context must be <key>=<value>, not "${pair}"`);
    context[pair.slice(0, at)] = pair.slice(at + 1);
  }
  if (values.assembly && Object.keys(context).length > 0) throw new Error('--context is for synth; --assembly skips synth');
  const faults = values.faults === undefined ? undefined : parseFaultSpec(values.faults, seed);
  if (faults) checkFaultOperations(faults);
  return {
    app: values.app,
    assembly: values.assembly ? path.resolve(values.assembly) : undefined,
    cdkOut: path.resolve(values['cdk-out'] ?? path.join('.local-run', 'cdk.out')),
    context,
    inputs: (values.input ?? [SAMPLE_EVENTS, SAMPLE_CORRECTIONS]).map((file) => path.resolve(file)),
    via,
    pipeline: values.pipeline,
    rate,
    json: values.json,
    out: values.out ? path.resolve(values.out) : undefined,
    faults,
    summaryOnly: values['summary-only'] === true,
    query: values.query,
    reprocess: values.reprocess === true,
    iam,
    help: values.help === true,
  };
}
