import { formatPath, isSchemaObject, JsonSchema, resolveLocalRef, subSchemaList, subSchemaMap } from './json-schema';
import { PII_ACTIONS, type PiiAction, type PiiField } from '../contract/schema-bundle';

export { PII_ACTIONS, type PiiAction, type PiiField } from '../contract/schema-bundle';

/** The schema annotation marking a field as personal data. */
export const PII_KEYWORD = 'x-pii';

/** Thrown by {@link piiFields} when a schema's `x-pii` annotations are invalid; lists every problem. */
export class PiiAnnotationError extends Error {
  /** One message per problem, each naming the field path. */
  public readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid x-pii annotations:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PiiAnnotationError';
    this.problems = problems;
  }
}

/** The PII fields of a schema and the problems found with its annotations. */
export interface PiiFieldsResult {
  readonly fields: PiiField[];
  readonly problems: string[];
}

/**
 * The fields of a JSON Schema marked `"x-pii": "hash" | "redact"`, in document order.
 *
 * Walks `properties` (nested objects), `items` (segment `'*'` for every element of an array),
 * the branches of `allOf`/`anyOf`/`oneOf`, and local `$ref`s (`#/definitions/...`). A path
 * marked in several branches is listed once.
 *
 * @throws PiiAnnotationError listing every problem: an unknown `x-pii` value (naming the field
 *   path and the allowed values), one path marked with two different actions, `x-pii` on the
 *   schema root, under `additionalProperties`/`patternProperties`/`additionalItems`/tuple
 *   `items` or a property named `*` (no path the runtime can mask), or inside a recursive `$ref`
 *   (a path of unbounded depth).
 */
export function piiFields(schema: unknown): PiiField[] {
  const { fields, problems } = collectPiiFields(schema);
  if (problems.length > 0) throw new PiiAnnotationError(problems);
  return fields;
}

/** Like {@link piiFields}, but returns the problems instead of throwing. */
export function collectPiiFields(schema: unknown): PiiFieldsResult {
  const fields = new Map<string, PiiField>();
  const problems: string[] = [];
  if (!isSchemaObject(schema)) return { fields: [], problems: ['the schema is not a JSON object'] };
  const root = schema;

  const record = (path: string[], value: unknown) => {
    const where = `x-pii of ${JSON.stringify(formatPath(path))}`;
    if (typeof value !== 'string' || !(PII_ACTIONS as readonly string[]).includes(value)) {
      problems.push(`${where} is ${JSON.stringify(value)}; it must be ${PII_ACTIONS.map((a) => `"${a}"`).join(' or ')}`);
      return;
    }
    if (path.length === 0) {
      problems.push(`${where}: x-pii marks a field, not the whole record; put it on the properties to mask`);
      return;
    }
    const key = JSON.stringify(path);
    const existing = fields.get(key);
    if (existing && existing.action !== value) {
      problems.push(`${where} is "${existing.action}" in one place and "${value}" in another; it must be the same everywhere`);
    } else if (!existing) {
      fields.set(key, { path, action: value as PiiAction });
    }
  };

  const walk = (node: JsonSchema, path: string[], refStack: readonly JsonSchema[]): void => {
    if (Object.prototype.hasOwnProperty.call(node, PII_KEYWORD)) record(path, node[PII_KEYWORD]);

    if (typeof node.$ref === 'string') {
      const target = resolveLocalRef(root, node.$ref);
      if (!target) return; // a ref to another document: the validator compile step reports it
      if (refStack.includes(target)) {
        if (containsPii(target)) {
          problems.push(
            `x-pii inside the recursive $ref ${JSON.stringify(node.$ref)} at ${JSON.stringify(formatPath(path))}: ` +
              'fields at unbounded depth cannot be masked; mark a non-recursive structure instead',
          );
        }
        return;
      }
      walk(target, path, [...refStack, target]);
      return; // draft-04: the other keywords next to $ref are ignored
    }

    for (const [name, child] of subSchemaMap(node, 'properties')) {
      if (name === '*' && containsPii(child)) {
        problems.push(
          `x-pii under the property named "*" of ${JSON.stringify(formatPath(path))} is not supported: ` +
            'the path segment "*" means every element of an array',
        );
      } else {
        walk(child, [...path, name], refStack);
      }
    }

    if (isSchemaObject(node.items)) walk(node.items, [...path, '*'], refStack);

    for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
      for (const branch of subSchemaList(node, keyword)) walk(branch, path, refStack);
    }

    const dynamic: Array<[string, unknown]> = [
      ['additionalProperties', node.additionalProperties],
      ['patternProperties', node.patternProperties],
      ['additionalItems', node.additionalItems],
      ['tuple items', Array.isArray(node.items) ? node.items : undefined],
    ];
    for (const [keyword, value] of dynamic) {
      if (containsPii(value)) {
        problems.push(
          `x-pii under ${keyword} of ${JSON.stringify(formatPath(path))} is not supported: ` +
            'those fields have no path the runtime can mask; mark a named property or the whole array',
        );
      }
    }
  };

  walk(root, [], [root]);
  return { fields: [...fields.values()], problems };
}

/** True when `value` has an `x-pii` key anywhere inside. */
function containsPii(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(containsPii);
  if (!isSchemaObject(value)) return false;
  return Object.prototype.hasOwnProperty.call(value, PII_KEYWORD) || Object.values(value).some(containsPii);
}
