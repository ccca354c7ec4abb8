import * as fs from 'node:fs';

/**
 * The events of an input file: one per line, exactly as a source would send it (a line need not
 * be valid JSON). Line endings (`\n` or `\r\n`) are removed; blank lines are not events.
 */
export function readInputLines(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '');
}
