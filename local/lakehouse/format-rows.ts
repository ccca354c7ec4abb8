/** Rows of a query as a plain-text table for a terminal (`start --query`). */
import type { QueryRows } from './duckdb-engine';

/** The most rows printed; the rest are counted. */
export const MAX_PRINTED_ROWS = 200;

/** `rows` as aligned columns with a header, NULL as `NULL`, and the row count. */
export function formatRows(result: QueryRows, max = MAX_PRINTED_ROWS): string {
  if (result.columns.length === 0) return '(no rows: the statement returns none)';
  const text = (v: unknown) => (v === null || v === undefined ? 'NULL' : typeof v === 'string' ? v : JSON.stringify(v));
  const shown = result.rows.slice(0, max).map((row) => row.map(text));
  const widths = result.columns.map((c, i) => Math.min(60, Math.max(c.length, ...shown.map((r) => r[i].length))));
  const cell = (v: string, i: number) => (v.length > widths[i] ? `${v.slice(0, widths[i] - 1)}…` : v.padEnd(widths[i]));
  const lines = [result.columns.map(cell).join(' | '), widths.map((w) => '-'.repeat(w)).join('-+-'), ...shown.map((r) => r.map(cell).join(' | '))];
  const count = result.rows.length;
  lines.push(`(${count} row${count === 1 ? '' : 's'}${count > max ? `, first ${max} shown` : ''})`);
  return lines.join('\n');
}
