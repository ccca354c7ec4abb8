import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { TransformFunction } from '../../lib';
import { transformExportProblem } from '../../lib/transform/transform-exports';
import { CLICKSTREAM_TRANSFORM, testStack } from '../support/cdk';

describe('the transform module must export a function named transform (checked at synth)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'transform-exports-'));
  const write = (name: string, source: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, source);
    return file;
  };

  test('the reference transform passes', () => {
    expect(transformExportProblem(CLICKSTREAM_TRANSFORM)).toBeUndefined();
  });

  test('a named export re-exported from another module counts (esbuild follows the re-export)', () => {
    write('impl.ts', 'export const run = (r: unknown) => r;\n');
    expect(transformExportProblem(write('reexport.ts', "export { run as transform } from './impl';\n"))).toBeUndefined();
  });

  test('a module without exports, or with only a default export, is reported', () => {
    expect(transformExportProblem(write('none.ts', 'const transform = (r: unknown) => r;\nvoid transform;\n'))).toBe(
      'it has no named export "transform" (it has no named exports); export the function as `export function transform(record, context)` ' +
        'or `export const transform = ...`',
    );
    expect(transformExportProblem(write('default.mjs', 'export default function transform(r) { return r; }\n'))).toMatch(
      /^it has no named export "transform" \(it has no named exports; a default export is not used\)/,
    );
  });

  test.each([
    ['export const transform = { run: (r: unknown) => r };', 'an object'],
    ["export const transform = 'x';", 'a string'],
    ['export const transform: number = 5;', 'a number'],
    ['export class transform { run() { return 1; } }', 'a class'],
  ])('%s is statically not a function', (source, kind) => {
    expect(transformExportProblem(write(`kind-${kind.replace(/ /g, '-')}.ts`, `${source}\n`))).toBe(
      `its "transform" export is ${kind}, not a function; export the function as \`export function transform(record, context)\``,
    );
  });

  test('a CommonJS module (exports known only when it runs) and a module that does not compile are left to later stages', () => {
    expect(transformExportProblem(write('cjs.js', 'module.exports.transfrom = (r) => r;\n'))).toBeUndefined();
    expect(transformExportProblem(write('broken.ts', 'export function transform( {\n'))).toBeUndefined();
  });

  test('an edited module is checked again', () => {
    const file = write('edited.ts', 'export const transform = (r: unknown) => r;\n');
    expect(transformExportProblem(file)).toBeUndefined();
    fs.writeFileSync(file, 'export const renamed = (r: unknown) => r;\n// longer, so the size differs\n');
    expect(transformExportProblem(file)).toMatch(/its named exports are renamed/);
  });

  test('TransformFunction fails synth naming the prop, the file and the reason', () => {
    const entry = write('typo.ts', 'export function transfrom(r: unknown) { return r; }\n');
    const stack = testStack();
    expect(
      () =>
        new TransformFunction(stack, 'T', {
          transformEntry: entry,
          pipelineName: 'pp',
          curatedBucket: new s3.Bucket(stack, 'C'),
          quarantineBucket: new s3.Bucket(stack, 'Q'),
        }),
    ).toThrow(
      `Invalid TransformFunction (TestStack/T) props:\n  - transformEntry is ${JSON.stringify(entry)}; it has no named export "transform" ` +
        '(its named exports are transfrom); export the function as `export function transform(record, context)` or ' +
        `\`export const transform = ...\` (file ${entry})`,
    );
  });
});
