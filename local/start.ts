/**
 * `npm start`: synthesizes the reference app (or `--app <command>`) offline and prints what
 * `cdk deploy` would create: resources by type, the pipeline's inputs, functions, dead-letter
 * queues, alarms, outputs and the policy-validation result. No AWS account, no Docker.
 *
 * Usage: npm start -- [--app <command>] [--out <dir>] [--json <file>]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { synthesize } from './cloud-assembly';
import { summarizeStack } from './deploy-summary';
import { formatSummary } from './format-summary';

const USAGE = 'Usage: npm start -- [--app <command>] [--out <dir>] [--json <file>]';

function main(argv: string[]): number {
  let values: { app?: string; out?: string; json?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        app: { type: 'string' },
        out: { type: 'string' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }

  const outdir = path.resolve(values.out ?? path.join('.local-run', 'cdk.out'));
  console.log(`Synthesizing ${values.app ? `"${values.app}"` : 'the reference app (cdk.json)'} offline into ${outdir} ...`);
  const started = Date.now();
  let assembly;
  try {
    assembly = synthesize({ app: values.app, outdir });
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
  const summaries = assembly.stacks.map(summarizeStack);
  console.log(`Synthesized ${assembly.stacks.length} stack(s) in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  console.log(formatSummary(summaries, assembly.validationReport));
  if (values.json) {
    fs.writeFileSync(values.json, `${JSON.stringify({ stacks: summaries, validation: assembly.validationReport }, null, 2)}\n`);
    console.log(`Summary written to ${values.json}`);
  }
  console.log('Deploy it with: npx cdk deploy   (needs AWS credentials and a bootstrapped account)');
  return 0;
}

process.exitCode = main(process.argv.slice(2));
