import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileValidatorCode } from '../../lib/schema/schema-bundle';
import { SchemaRegistry } from '../../lib/schema/schema-registry';
import { patternProblem, unsafePatterns } from '../../lib/schema/regex-safety';
import { testStack } from '../support/cdk';

/** A schema whose `name` must match `pattern`. */
const withPattern = (pattern: string) => ({
  $schema: 'http://json-schema.org/draft-04/schema#',
  type: 'object',
  properties: { name: { type: 'string', pattern } },
});

describe('catastrophic backtracking in schema patterns', () => {
  it.each(['^(a+)+$', '(x+x+)+y', '^(\\w+\\s?)*$', '(.*a){30}'])('refuses %s', (pattern) => {
    expect(patternProblem(pattern)).toBe('backtracking');
  });

  it.each(['^[a-z]+$', '^\\d{4}-\\d{2}-\\d{2}$', '^[^@\\s]+@[^@\\s]+$', '^\\p{L}+$', '^(ab|cd)$'])('accepts %s', (pattern) => {
    expect(patternProblem(pattern)).toBeUndefined();
  });

  it('finds patterns under every schema keyword and patternProperties keys, with JSON pointers; data that looks like a pattern is ignored', () => {
    const schema = {
      type: 'object',
      properties: {
        'a/b': { type: 'string', pattern: '^(a+)+$' },
        list: { type: 'array', items: { type: 'string', pattern: '^[a-z]+$' } },
        safe: { enum: [{ pattern: '^(a+)+$' }], default: { pattern: '(x+)+' } },
      },
      patternProperties: { '^(b*)*$': { type: 'string' } },
      definitions: { d: { anyOf: [{ pattern: '([a-z]+)*z' }] } },
      additionalProperties: { pattern: '[' },
    };
    expect(unsafePatterns(schema)).toEqual([
      { pointer: '/additionalProperties/pattern', pattern: '[', problem: 'invalid' },
      { pointer: '/definitions/d/anyOf/0/pattern', pattern: '([a-z]+)*z', problem: 'backtracking' },
      { pointer: '/patternProperties/^(b*)*$', pattern: '^(b*)*$', problem: 'backtracking' },
      { pointer: '/properties/a~1b/pattern', pattern: '^(a+)+$', problem: 'backtracking' },
    ]);
  });

  it('refuses at synth: the error names the schema file, the JSON pointer and the pattern', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regex-safety-'));
    const file = path.join(dir, 'names.json');
    fs.writeFileSync(file, JSON.stringify(withPattern('^(a+)+$')));
    expect(() => new SchemaRegistry(testStack(), 'Registry', { schemas: [{ version: '1', file }] })).toThrow(
      `schemas[0].file (${JSON.stringify(file)}): the regular expression "^(a+)+$" at /properties/name/pattern can backtrack catastrophically`,
    );
    fs.writeFileSync(file, JSON.stringify(withPattern('^[a-z]+$')));
    expect(() => new SchemaRegistry(testStack(), 'Registry', { schemas: [{ version: '1', file }] })).not.toThrow();
  });

  it('the validator compiler refuses it too (for any other caller)', () => {
    expect(() => compileValidatorCode(withPattern('^(a+)+$'))).toThrow('/properties/name/pattern "^(a+)+$"');
  });
});
