import { dereference, formatPath, isSchemaObject, JsonSchema, subSchemaList, subSchemaMap } from './json-schema';

/** Names the two versions compared by {@link checkBackwardCompatibility}, for its messages. */
export interface CompatibilityVersions {
  /** The older version (whose data must stay readable). */
  readonly previous: string;
  /** The newer version. */
  readonly next: string;
  /**
   * How each message names the newer version.
   * @default `version <next>`
   */
  readonly subject?: string;
  /**
   * The top-level record field naming the schema version. Its `enum` is expected to change from
   * version to version (`["1"]` becomes `["2"]`), so narrowing it is not reported.
   * @default - none: every enum is checked
   */
  readonly versionField?: string;
}

/**
 * The ways `next` breaks readers of data that is valid under `previous`, one human-readable
 * message each (`version 2 breaks version 1: property "sessionId" removed`); empty when
 * compatible.
 *
 * Reported, at every depth (`properties`, array `items` as `*`, `allOf` branches merged, local
 * `$ref`s followed):
 * - a property removed;
 * - a type changed so that some previous type is no longer accepted (`integer` → `number` and
 *   `string` → `["string", "null"]` widen and are compatible; a type added where there was none
 *   narrows and is reported);
 * - a required property added, or an optional property made required;
 * - an enum narrowed (a value removed, or an enum added where there was none).
 *
 * Adding optional properties and widening enums or types is compatible. Not compared:
 * `anyOf`/`oneOf` branches, tuple `items`, and value constraints (`minLength`, `pattern`,
 * `format`, `additionalProperties`, ...).
 */
export function checkBackwardCompatibility(previous: unknown, next: unknown, versions: CompatibilityVersions): string[] {
  const prefix = `${versions.subject ?? `version ${versions.next}`} breaks version ${versions.previous}: `;
  if (!isSchemaObject(previous) || !isSchemaObject(next)) {
    return [`${prefix}both schemas must be JSON objects`];
  }
  const problems: string[] = [];
  const visited = new Set<string>();
  const prevRoot = previous;
  const nextRoot = next;
  const ids = new Map<JsonSchema, number>();
  const idOf = (s: JsonSchema): number => {
    if (!ids.has(s)) ids.set(s, ids.size);
    return ids.get(s) as number;
  };

  const compare = (prevNode: JsonSchema, nextNode: JsonSchema, path: string[]): void => {
    const prev = dereference(prevRoot, prevNode);
    const nextSchema = dereference(nextRoot, nextNode);
    if (!prev || !nextSchema) return; // unresolvable refs are reported by the validator compile step
    // Recursive schemas (`$ref: "#"`) would compare forever: a pair already being compared up the path stops.
    const pairKey = `${idOf(prev)}|${idOf(nextSchema)}`;
    if (visited.has(pairKey)) return;
    visited.add(pairKey);
    try {
      compareNode(prev, nextSchema, path);
    } finally {
      visited.delete(pairKey);
    }
  };

  const compareNode = (prev: JsonSchema, nextSchema: JsonSchema, path: string[]): void => {
    const subject = path.length === 0 ? 'the schema root' : `property ${JSON.stringify(formatPath(path))}`;

    const prevTypes = typesOf(prev);
    const nextTypes = typesOf(nextSchema);
    if (nextTypes !== undefined) {
      const lost = prevTypes === undefined ? undefined : prevTypes.filter((t) => !accepts(nextTypes, t));
      if (lost === undefined || lost.length > 0) {
        problems.push(`${subject} type changed from ${prevTypes ? prevTypes.join(' or ') : 'any'} to ${nextTypes.join(' or ')}`);
        return; // its children no longer mean the same thing: one message is enough
      }
    }

    const isVersionField = path.length === 1 && path[0] === versions.versionField;
    if (Array.isArray(nextSchema.enum) && !isVersionField) {
      const allowed = new Set(nextSchema.enum.map((v) => JSON.stringify(v)));
      if (!Array.isArray(prev.enum)) {
        problems.push(`${subject} is now restricted to the enum ${JSON.stringify(nextSchema.enum)}`);
      } else {
        const removed = prev.enum.filter((v) => !allowed.has(JSON.stringify(v)));
        if (removed.length > 0) {
          problems.push(`${subject} enum no longer allows ${removed.map((v) => JSON.stringify(v)).join(', ')}`);
        }
      }
    }

    const prevObject = objectShape(prevRoot, prev);
    const nextObject = objectShape(nextRoot, nextSchema);
    for (const [name, prevChild] of prevObject.properties) {
      const nextChild = nextObject.properties.get(name);
      if (nextChild === undefined) problems.push(`property ${JSON.stringify(formatPath([...path, name]))} removed`);
      else compare(prevChild, nextChild, [...path, name]);
    }
    for (const name of nextObject.required) {
      if (prevObject.required.has(name)) continue;
      const field = JSON.stringify(formatPath([...path, name]));
      problems.push(
        prevObject.properties.has(name) ? `property ${field} became required` : `required property ${field} added`,
      );
    }

    // Array elements (`*`); a missing `items` allows anything. Tuples (`items: [...]`) are not compared.
    const prevItems = prev.items;
    const nextItems = nextSchema.items;
    if (!Array.isArray(prevItems) && !Array.isArray(nextItems) && (isSchemaObject(prevItems) || isSchemaObject(nextItems))) {
      compare(isSchemaObject(prevItems) ? prevItems : {}, isSchemaObject(nextItems) ? nextItems : {}, [...path, '*']);
    }
  };

  compare(prevRoot, nextRoot, []);
  return problems.map((p) => `${prefix}${p}`);
}

/** The schema's `type` keyword as a list, or undefined when any type is allowed. */
function typesOf(schema: JsonSchema): string[] | undefined {
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type.filter((t): t is string => typeof t === 'string');
  return undefined;
}

function accepts(types: string[], type: string): boolean {
  return types.includes(type) || (type === 'integer' && types.includes('number'));
}

interface ObjectShape {
  readonly properties: Map<string, JsonSchema>;
  readonly required: Set<string>;
}

/** `properties` and `required` of a schema and of its `allOf` branches (all of which apply). */
function objectShape(root: JsonSchema, schema: JsonSchema, seen = new Set<JsonSchema>()): ObjectShape {
  const shape: ObjectShape = { properties: new Map(), required: new Set() };
  if (seen.has(schema)) return shape;
  seen.add(schema);
  for (const [name, child] of subSchemaMap(schema, 'properties')) shape.properties.set(name, child);
  if (Array.isArray(schema.required)) {
    for (const name of schema.required) if (typeof name === 'string') shape.required.add(name);
  }
  for (const branch of subSchemaList(schema, 'allOf')) {
    const resolved = dereference(root, branch);
    if (!resolved) continue;
    const inner = objectShape(root, resolved, seen);
    for (const [name, child] of inner.properties) if (!shape.properties.has(name)) shape.properties.set(name, child);
    for (const name of inner.required) shape.required.add(name);
  }
  return shape;
}
