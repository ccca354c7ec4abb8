/**
 * Functions and methods longer than a bound, found with the TypeScript compiler's parser: a guard
 * that keeps every unit of `lib/` small enough to read at once.
 *
 * `npx tsx scripts/function-length.ts [dir=lib] [max=100]` lists the longest ones (exit 1 when any
 * is over `max`). Tests call {@link longFunctions}.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

/** A function or method over the bound. */
export interface LongFunction {
  /** The file, as given or found under the directory. */
  readonly file: string;
  /** `Class.method`, `Class.constructor`, `function`, or `<arrow>` / `<function>` for anonymous ones. */
  readonly name: string;
  /** Its first line (1-based, the declaration's, not its doc comment's). */
  readonly line: number;
  /** Lines from the declaration to its closing brace, both included. */
  readonly lines: number;
}

/** The functions and methods of one source text longer than `max` lines (nested ones counted on their own too). */
export function longFunctionsInSource(file: string, text: string, max: number): LongFunction[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: LongFunction[] = [];
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const line = lineOf(node.getStart(source));
      const lines = lineOf(node.getEnd()) - line + 1;
      if (lines > max) found.push({ file, name: functionName(node as ts.FunctionLikeDeclaration, source), line, lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The functions and methods of every `.ts` file under `dir` (not `.d.ts`) longer than `max` lines, longest first. */
export function longFunctions(dir: string, max: number): LongFunction[] {
  return sourceFiles(dir)
    .flatMap((file) => longFunctionsInSource(file, fs.readFileSync(file, 'utf8'), max))
    .sort((a, b) => b.lines - a.lines);
}

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(full);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
    })
    .sort();
}

function functionName(node: ts.FunctionLikeDeclaration, source: ts.SourceFile): string {
  const owner = ts.isClassLike(node.parent) && node.parent.name ? `${node.parent.name.text}.` : '';
  if (ts.isConstructorDeclaration(node)) return `${owner}constructor`;
  if (node.name) return `${owner}${node.name.getText(source)}`;
  // An anonymous function named by what it is assigned to, when it is.
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) {
    return parent.name.getText(source);
  }
  return ts.isArrowFunction(node) ? '<arrow>' : '<function>';
}

if (require.main === module) {
  const [dir = 'lib', maxArg = '100'] = process.argv.slice(2);
  const max = Number(maxArg);
  const over = longFunctions(dir, max);
  for (const f of over) console.log(`${f.lines} lines  ${f.file}:${f.line}  ${f.name}`);
  if (over.length === 0) console.log(`no function or method in ${dir} is over ${max} lines`);
  process.exitCode = over.length > 0 ? 1 : 0;
}
