/**
 * Synth-time refusal of schema regular expressions that can backtrack catastrophically: the
 * runtime validates every record with JavaScript's backtracking engine, so a `pattern` such as
 * `^(a+)+$` lets one 30-character value block the function for seconds (doubling per character).
 *
 * The check is safe-regex2's (star height at most 1, at most 25 repetitions): a pattern with a
 * quantified group that itself holds a quantifier is refused, even when its alternatives cannot
 * overlap. Plain TypeScript: no aws-cdk-lib.
 */
import safeRegex from 'safe-regex2';
import { isSchemaObject, type JsonSchema } from './json-schema';

/** A regular expression of a schema that is refused, with where it is. */
export interface UnsafePattern {
  /** JSON pointer of the keyword holding it (`/properties/name/pattern`, `/patternProperties/<key>`). */
  readonly pointer: string;
  readonly pattern: string;
  /** Why: `backtracking` (nested quantifiers, too many repetitions) or `invalid` (not a JavaScript regex). */
  readonly problem: 'backtracking' | 'invalid';
}

/** Draft-04 keywords whose value is a sub-schema. */
const SCHEMA_KEYWORDS = ['additionalItems', 'additionalProperties', 'not', 'items'];
/** Draft-04 keywords whose value is a map of sub-schemas (`dependencies` may also hold arrays). */
const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties', 'definitions', 'dependencies'];
/** Draft-04 keywords whose value is a list of sub-schemas. */
const SCHEMA_LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'items'];

/**
 * Every `pattern` and `patternProperties` key of a draft-04 schema that can backtrack
 * catastrophically (or is not a valid regular expression). Walks schema keywords only (an `enum`
 * or `default` value holding a "pattern" member is data, not a pattern), without recursion.
 */
export function unsafePatterns(schema: unknown): UnsafePattern[] {
  const found: UnsafePattern[] = [];
  const stack: Array<{ node: unknown; pointer: string }> = [{ node: schema, pointer: '' }];
  const check = (pattern: string, pointer: string) => {
    const problem = patternProblem(pattern);
    if (problem) found.push({ pointer, pattern, problem });
  };
  while (stack.length > 0) {
    const { node, pointer } = stack.pop() as { node: unknown; pointer: string };
    if (!isSchemaObject(node)) continue;
    const s = node as JsonSchema;
    if (typeof s.pattern === 'string') check(s.pattern, `${pointer}/pattern`);
    if (isSchemaObject(s.patternProperties)) {
      for (const key of Object.keys(s.patternProperties)) check(key, `${pointer}/patternProperties/${escapePointer(key)}`);
    }
    for (const keyword of SCHEMA_KEYWORDS) {
      if (isSchemaObject(s[keyword])) stack.push({ node: s[keyword], pointer: `${pointer}/${keyword}` });
    }
    for (const keyword of SCHEMA_MAP_KEYWORDS) {
      const map = s[keyword];
      if (!isSchemaObject(map)) continue;
      for (const key of Object.keys(map)) stack.push({ node: map[key], pointer: `${pointer}/${keyword}/${escapePointer(key)}` });
    }
    for (const keyword of SCHEMA_LIST_KEYWORDS) {
      const list = s[keyword];
      if (Array.isArray(list)) list.forEach((item, i) => stack.push({ node: item, pointer: `${pointer}/${keyword}/${i}` }));
    }
  }
  return found.sort((a, b) => (a.pointer < b.pointer ? -1 : a.pointer > b.pointer ? 1 : 0));
}

/** Why a pattern is refused, or undefined when it is safe. Patterns are compiled with `u`, as ajv does. */
export function patternProblem(pattern: string): UnsafePattern['problem'] | undefined {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'u');
  } catch {
    return 'invalid';
  }
  return safeRegex(regex) ? undefined : 'backtracking';
}

function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
