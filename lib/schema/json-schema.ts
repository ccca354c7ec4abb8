/**
 * Small helpers shared by the schema tools (PII walker, compatibility checker, bundle generator).
 * Plain TypeScript: no aws-cdk-lib, so the helpers can run anywhere.
 */

/** A parsed JSON Schema (draft-04) object, or any sub-schema of one. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** The draft-04 `$schema` URI. */
export const DRAFT_04_URI = 'http://json-schema.org/draft-04/schema#';

/** True for the draft-04 `$schema` URI, with or without its empty fragment (as ajv accepts it). */
export function isDraft04(uri: unknown): boolean {
  return uri === DRAFT_04_URI || uri === DRAFT_04_URI.slice(0, -1);
}

/** True for a plain JSON object (not null, not an array). */
export function isSchemaObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object-valued members of a keyword whose value is a map of sub-schemas (`properties`). */
export function subSchemaMap(schema: JsonSchema, keyword: string): Array<[string, JsonSchema]> {
  const value = schema[keyword];
  if (!isSchemaObject(value)) return [];
  return Object.entries(value).filter((entry): entry is [string, JsonSchema] => isSchemaObject(entry[1]));
}

/** The object-valued members of a keyword whose value is an array of sub-schemas (`allOf`). */
export function subSchemaList(schema: JsonSchema, keyword: string): JsonSchema[] {
  const value = schema[keyword];
  return Array.isArray(value) ? value.filter(isSchemaObject) : [];
}

/**
 * Resolves a local `$ref` (`#`, `#/definitions/name`, any JSON pointer into the root document).
 * Returns undefined for refs to other documents and pointers that lead nowhere.
 */
export function resolveLocalRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let pointer: string;
  try {
    pointer = decodeURIComponent(ref.slice(1));
  } catch {
    return undefined;
  }
  if (pointer === '') return root;
  if (!pointer.startsWith('/')) return undefined;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isSchemaObject(node)) node = Object.prototype.hasOwnProperty.call(node, token) ? node[token] : undefined;
    else return undefined;
  }
  return isSchemaObject(node) ? node : undefined;
}

/**
 * Follows `$ref`s (local only) until a schema without one. `seen` guards against ref cycles
 * (`{"$ref": "#"}`); a cycle or an unresolvable ref yields undefined.
 */
export function dereference(root: JsonSchema, schema: JsonSchema): JsonSchema | undefined {
  const seen = new Set<JsonSchema>();
  let node = schema;
  while (typeof node.$ref === 'string') {
    if (seen.has(node)) return undefined;
    seen.add(node);
    const target = resolveLocalRef(root, node.$ref);
    if (!target) return undefined;
    node = target;
  }
  return node;
}

/** A field path for messages: `page.referrer`, `items.*.email`, or `(root)`. */
export function formatPath(path: readonly string[]): string {
  return path.length === 0 ? '(root)' : path.join('.');
}
