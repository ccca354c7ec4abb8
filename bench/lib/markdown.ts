/** Number formats and Markdown tables shared by the report's sections. */

/** Whole number with thousands separators. */
export const n0 = (x: number): string => Math.round(x).toLocaleString('en-US');
/** At most two decimals. */
export const n2 = (x: number): string => (Math.round(x * 100) / 100).toString();
/** At most three decimals. */
export const n3 = (x: number): string => (Math.round(x * 1000) / 1000).toString();
/** Bytes as KB with one decimal. */
export const kb = (b: number): string => `${(b / 1024).toFixed(1)} KB`;
/** A target's result, bold. */
export const verdict = (ok: boolean): string => (ok ? '**PASS**' : '**MISS**');
/** Dollars: four decimals below $1, two above. */
export const money = (x: number): string => `$${x < 1 ? x.toFixed(4) : x.toFixed(2)}`;

/** A Markdown table. */
export function table(head: string[], body: string[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}
