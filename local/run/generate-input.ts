/**
 * Writes generated clickstream events (valid ones plus every kind of trouble) as an input file
 * for `npm start -- --input <file>`.
 *
 * Usage: npx tsx local/run/generate-input.ts [--count 10000] [--seed 42] [--out .local-run/events-10000.jsonl]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { generateClickstreamEvents } from '../../examples/clickstream/generate-events';

/** Writes `count` generated events to `file`, one line each; returns the file. */
export function writeGeneratedInput(file: string, count: number, seed = 42): string {
  const events = generateClickstreamEvents({ count, seed });
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, `${events.map((e) => e.line).join('\n')}\n`);
  return file;
}

if (require.main === module) {
  const { values } = parseArgs({ options: { count: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } } });
  const count = Number(values.count ?? 10000);
  const file = values.out ?? path.join('.local-run', `events-${count}.jsonl`);
  writeGeneratedInput(file, count, Number(values.seed ?? 42));
  console.log(`Wrote ${count} events to ${file}`);
}
