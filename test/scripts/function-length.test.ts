import * as path from 'node:path';
import { longFunctions, longFunctionsInSource } from '../../scripts/function-length';
import { ROOT } from '../support/cdk';

/** The most lines a function or method of lib/ may have: past it, split it into named parts. */
const MAX_LINES = 100;

test(`no function or method in lib/ is over ${MAX_LINES} lines`, () => {
  const over = longFunctions(path.join(ROOT, 'lib'), MAX_LINES).map((f) => `${path.relative(ROOT, f.file)}:${f.line} ${f.name} (${f.lines} lines)`);
  expect(over).toEqual([]);
});

describe('longFunctionsInSource', () => {
  const body = (n: number) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');

  test('measures functions, methods, constructors and assigned arrows from declaration to closing brace', () => {
    const source = [
      '/** Doc comments do not count. */',
      `export function f() {\n${body(3)}\n}`,
      `class C {\n  constructor() {\n${body(4)}\n  }\n  m() {\n${body(2)}\n  }\n}`,
      `const arrow = () => {\n${body(5)}\n};`,
      `[1].map(() => {\n${body(6)}\n});`,
    ].join('\n');
    expect(longFunctionsInSource('x.ts', source, 3).map((f) => [f.name, f.line, f.lines])).toEqual([
      ['f', 2, 5],
      ['C.constructor', 8, 6],
      ['C.m', 14, 4],
      ['arrow', 19, 7],
      ['<arrow>', 26, 8],
    ]);
  });

  test('a nested function counts in its parent and on its own', () => {
    const source = `function outer() {\n  function inner() {\n${body(3)}\n  }\n}`;
    expect(longFunctionsInSource('x.ts', source, 4).map((f) => [f.name, f.lines])).toEqual([
      ['outer', 7],
      ['inner', 5],
    ]);
  });

  test('declarations without a body (overloads, abstract methods) are not functions to measure', () => {
    const source = `abstract class A {\n  abstract m(): void;\n}\ndeclare function g(): void;`;
    expect(longFunctionsInSource('x.ts', source, 0)).toEqual([]);
  });
});
