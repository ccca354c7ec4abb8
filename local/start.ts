/**
 * `npm start`: runs a CDK app's pipeline end to end on local emulators. Synthesizes the reference
 * app (or `--app <command>`, or reuses `--assembly <dir>`), creates the data-plane resources the
 * cloud assembly declares on embedded emulators, runs the functions from their bundled assets,
 * sends the input events (default: the reference sample events) and prints a report with a
 * conservation check. No AWS account, no Docker.
 *
 * Exit codes: 0 success; 1 the app does not synthesize or the run failed; 2 bad options;
 * 3 an emulator could not start; 4 the conservation check failed; 130 interrupted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCloudAssembly, synthesize, type CloudAssembly } from './cloud-assembly';
import { parseCliOptions, USAGE, type CliOptions } from './cli-options';
import { summarizeStack } from './deploy-summary';
import { formatReport } from './format-report';
import { formatSummary } from './format-summary';
import { readInputLines } from './input-lines';
import { RunError, runPipeline } from './pipeline-run';

/** Exit codes of `npm start`. */
export const EXIT = { ok: 0, failed: 1, usage: 2, emulators: 3, conservation: 4, interrupted: 130 } as const;

const stops: Array<() => Promise<void>> = [];

async function main(argv: string[]): Promise<number> {
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

  let assembly: CloudAssembly;
  const started = Date.now();
  try {
    if (options.assembly) {
      assembly = loadCloudAssembly(options.assembly);
      console.log(`Using the cloud assembly in ${rel(options.assembly)} (no synth).`);
    } else {
      console.log(`Synthesizing ${options.app ? `"${options.app}"` : 'the reference app (cdk.json)'} offline into ${rel(options.cdkOut)} ...`);
      assembly = synthesize({ app: options.app, outdir: options.cdkOut });
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

  let lines: string[];
  try {
    lines = readInputLines(options.input);
  } catch (error) {
    console.error(`Cannot read the input: ${(error as Error).message}`);
    return EXIT.usage;
  }
  console.log(`Input: ${lines.length} events from ${rel(options.input)}, via ${options.via}${options.rate ? ` at ${options.rate} events/s` : ''}.`);

  let report;
  try {
    report = await runPipeline({
      assembly,
      lines,
      via: options.via,
      rate: options.rate,
      outDir: options.out,
      logFile: path.resolve('.local-run', 'function-logs.txt'),
      progress: (line) => console.log(line),
      onStarted: (stop) => stops.push(stop),
    });
  } catch (error) {
    console.error(error instanceof RunError ? error.message : `The local run failed: ${(error as Error).stack ?? String(error)}`);
    return error instanceof RunError && error.phase === 'emulators' ? EXIT.emulators : EXIT.failed;
  } finally {
    stops.length = 0;
  }
  console.log(`Emulators stopped. Function logs: ${rel(path.resolve('.local-run', 'function-logs.txt'))}\n`);
  console.log(formatReport(report));
  if (options.json) writeJson(options.json, report);
  if (!report.conservationOk) {
    console.error('\nConservation check FAILED: records were lost or duplicated (see above).');
    return EXIT.conservation;
  }
  return EXIT.ok;
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

process.on('SIGINT', (s) => void interrupted(s));
process.on('SIGTERM', (s) => void interrupted(s));
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Anything still holding the event loop after everything was stopped is a leak: say so, do not hang.
    setTimeout(() => {
      console.error('warning: open handles kept the process alive after the emulators stopped; exiting');
      process.exit(code);
    }, 3000).unref();
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = EXIT.failed;
  },
);
