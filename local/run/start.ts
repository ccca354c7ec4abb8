/**
 * `cdk-serverless-etl start` (`npm start` in this repository): runs a CDK app's pipeline end to
 * end on local emulators. Synthesizes the app of the current directory's cdk.json (or
 * `--app <command>`, or reuses `--assembly <dir>`) with the project's own CDK CLI, creates the
 * data-plane resources the cloud assembly declares on embedded emulators, runs the functions from
 * their bundled assets, sends the input events (default: the clickstream sample events) and prints
 * a report with a conservation check. No AWS account, no Docker.
 *
 * Exit codes: 0 success; 1 the app does not synthesize or the run failed; 2 bad options (or no
 * app to run); 3 an emulator could not start, or the emulator packages are not installed;
 * 4 the conservation check failed; 5 calls the app's IAM policies refuse cost records (`--iam`);
 * 130 interrupted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCloudAssembly, synthesize, type CloudAssembly } from '../template/cloud-assembly';
import { parseCliOptions, USAGE, type CliOptions } from './cli-options';
import { summarizeStack } from '../report/deploy-summary';
import { findPackage, missingEmulatorPackages } from './emulator-packages';
import { formatReport } from '../report/format-report';
import { formatSummary } from '../report/format-summary';
import { readInputLines } from './input-lines';
import { newReprocessRunId } from '../../lib/contract/reprocess';
import { readKeptRun, type LocalReprocess } from './reprocess';

/** Exit codes of `cdk-serverless-etl start`. */
export const EXIT = { ok: 0, failed: 1, usage: 2, emulators: 3, conservation: 4, iam: 5, interrupted: 130 } as const;

const stops: Array<() => Promise<void>> = [];

/** Where a run keeps the app's Glue tables on DuckDB, for `--query`. */
const LAKEHOUSE_DIR = path.resolve('.local-run', 'lakehouse');

/**
 * Runs the local pipeline with the command line `argv` (the options after `start`) and returns the
 * exit code. Meant for a command-line process: while it runs, SIGINT and SIGTERM stop the
 * functions and emulators and exit the process with 130 (a second signal is ignored, a third exits
 * at once), and a process still held open 3 s after a run's emulators stopped exits.
 */
export async function runLocal(argv: readonly string[]): Promise<number> {
  const onSignal = (signal: NodeJS.Signals) => void interrupted(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await run([...argv]);
  } finally {
    // Once a signal came, the handlers stay: the run is being stopped, and a second Ctrl-C must
    // not kill the process with emulators running.
    if (signals === 0) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

async function run(argv: string[]): Promise<number> {
  // The emulators' SDK clients run in this process on Node 20: their upgrade notice is not news here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let options: CliOptions;
  try {
    options = parseCliOptions(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  if (options.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  if (options.query !== undefined) return query(options.query);

  if (!options.app && !options.assembly && !fs.existsSync('cdk.json')) {
    console.error(`No cdk.json in ${process.cwd()}: run this in your CDK app's directory, or give --app "<command>" (or --assembly <cdk.out>).\n${USAGE}`);
    return EXIT.usage;
  }
  if (!options.summaryOnly) {
    const missing = missingEmulatorPackages();
    if (missing) {
      console.error(missing);
      return EXIT.emulators;
    }
  }

  let assembly: CloudAssembly;
  const started = Date.now();
  try {
    if (options.assembly) {
      assembly = loadCloudAssembly(options.assembly);
      console.log(`Using the cloud assembly in ${rel(options.assembly)} (no synth).`);
    } else {
      console.log(`Synthesizing ${options.app ? `"${options.app}"` : 'the app of cdk.json'} offline into ${rel(options.cdkOut)} ...`);
      assembly = synthesize({ app: options.app, outdir: options.cdkOut, context: options.context });
      console.log(`Synthesized ${assembly.stacks.length} stack(s) in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    }
  } catch (error) {
    console.error((error as Error).message);
    return EXIT.failed;
  }

  const summaries = assembly.stacks.map(summarizeStack);
  if (options.summaryOnly) {
    console.log(`\n${formatSummary(summaries, assembly.validationReport)}`);
    if (options.json) writeJson(options.json, { stacks: summaries, validation: assembly.validationReport });
    console.log('Deploy it with: npx cdk deploy   (needs AWS credentials and a bootstrapped account)');
    return EXIT.ok;
  }
  for (const s of summaries) {
    console.log(
      `  ${s.stackName}: ${s.resourceCount} resources; inputs: ${s.inputs.map((i) => i.path).join(', ') || 'none'}; ` +
        `${s.functions.length} function(s), ${s.deadLetterQueues.length} DLQ(s), ${s.alarms.length} alarm(s) (full summary: --summary-only)`,
    );
  }

  const inputs: Array<{ name: string; lines: string[] }> = [];
  let reprocess: LocalReprocess | undefined;
  try {
    if (options.reprocess) {
      const kept = readKeptRun(LAKEHOUSE_DIR);
      inputs.push({ name: "the last run's input", lines: [...kept.lines] });
      reprocess = { run: newReprocessRunId(), curated: kept.curated };
    } else for (const file of options.inputs) inputs.push({ name: path.basename(file), lines: readInputLines(file) });
  } catch (error) {
    console.error(`Cannot read the input: ${(error as Error).message}`);
    return EXIT.usage;
  }
  if (reprocess) console.log(`Reprocess: the last run's ${inputs[0].lines.length} input events, re-derived with the app as it is now as run ${reprocess.run}.`);
  else {
    const described = inputs.map((input, i) => `${input.lines.length} events from ${rel(options.inputs[i])}`).join(', then ');
    console.log(
      `Input: ${described}, via ${options.via}${options.rate ? ` at ${options.rate} events/s` : ''}` +
        `${inputs.length > 1 ? ' (each input is drained and merged into the current tables before the next)' : ''}.`,
    );
  }
  if (options.faults) console.log(`Faults: ${options.faults.spec} (seed ${options.faults.seed}), injected into the functions' AWS calls.`);

  // Loaded only now: it loads the emulator packages (optional peers, checked above).
  const { RunError, runPipeline } = await import('./pipeline-run');
  let report;
  try {
    report = await runPipeline({
      assembly,
      inputs,
      via: reprocess ? 'batch' : options.via,
      reprocess,
      pipeline: options.pipeline,
      rate: options.rate,
      iam: options.iam,
      faults: options.faults,
      outDir: options.out,
      logFile: path.resolve('.local-run', 'function-logs.txt'),
      lakehouseDir: LAKEHOUSE_DIR,
      progress: (line) => console.log(line),
      onStarted: (stop) => stops.push(stop),
    });
  } catch (error) {
    console.error(error instanceof RunError ? error.message : `The local run failed: ${(error as Error).stack ?? String(error)}`);
    return error instanceof RunError && error.phase === 'emulators' ? EXIT.emulators : EXIT.failed;
  } finally {
    stops.length = 0;
    exitWhenStuck();
  }
  console.log(`Emulators stopped. Function logs: ${rel(path.resolve('.local-run', 'function-logs.txt'))}\n`);
  console.log(formatReport(report));
  if (options.json) writeJson(options.json, report);
  if (report.iam?.failed) {
    console.error(`\nIAM check FAILED: ${report.iam.failure}\nOn AWS these calls fail the same way: grant them in the app (see the IAM section above).`);
    return EXIT.iam;
  }
  if (!report.conservationOk) {
    console.error('\nConservation check FAILED: records were lost or duplicated (see above).');
    return EXIT.conservation;
  }
  return EXIT.ok;
}

/** `--query`: runs one statement on the tables the last run kept and prints its rows. */
async function query(sql: string): Promise<number> {
  // Loaded only now: it loads DuckDB (an optional peer, checked here).
  const missing = missingEmulatorPackages((name) => (name === '@duckdb/node-api' ? findPackage(name) : { directory: '', version: '' }));
  if (missing) {
    console.error(missing);
    return EXIT.emulators;
  }
  const { queryKeptTables } = await import('../lakehouse/local-lakehouse');
  const { formatRows } = await import('../lakehouse/format-rows');
  try {
    console.log(formatRows(await queryKeptTables(LAKEHOUSE_DIR, sql)));
    return EXIT.ok;
  } catch (error) {
    console.error(`The query failed: ${(error as Error).message}`);
    return EXIT.failed;
  }
}

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  console.log(`Written to ${file}`);
}

function rel(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
}

/**
 * After a run everything it started was stopped: anything still holding the event loop a few
 * seconds later is a leak. Say so and exit instead of hanging (the timer itself holds nothing).
 */
function exitWhenStuck(): void {
  setTimeout(() => {
    console.error('warning: open handles kept the process alive after the emulators stopped; exiting');
    process.exit(process.exitCode ?? EXIT.failed);
  }, 3000).unref();
}

let signals = 0;

async function interrupted(signal: NodeJS.Signals): Promise<void> {
  // A second signal while stopping (Ctrl-C pressed twice) is ignored: the first one is already
  // stopping everything, and the default action would kill the process with emulators running.
  // A third one exits at once, in case stopping hangs.
  signals++;
  if (signals === 3) {
    console.error(`\n${signal} again: exiting without waiting for the emulators to stop`);
    process.exit(EXIT.interrupted);
  }
  if (signals > 1) return;
  console.error(`\n${signal}: stopping the functions and emulators ...`);
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  process.exit(EXIT.interrupted);
}
