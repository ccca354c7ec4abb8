import { LAKEHOUSE_COLUMNS } from '../contract/lakehouse/columns';
import { RESERVED_TABLE_COLUMNS, type CurrentTableColumn } from '../contract/lakehouse/sql';
import { dereference, isSchemaObject, type JsonSchema } from '../schema/json-schema';

/**
 * A column of the current table, derived from a field of the output JSON Schema: its type in the
 * Iceberg table and, when it differs, in the curated JSON table the MERGE reads (see
 * lib/contract/lakehouse/sql.ts, which converts one to the other).
 */
export interface TableColumn extends CurrentTableColumn {
  /** The Iceberg type of `type`: `string`, `long`, `double`, `boolean`, `timestamp`, `date`. */
  readonly icebergType: string;
  /** The output field it is read from (JSON Lines fields match columns case-insensitively). */
  readonly field: string;
  /** The field is an object or an array in the output, stored as its JSON text. */
  readonly json?: boolean;
  /** The field's `description` (at most 255 characters: Glue's limit). */
  readonly doc?: string;
}

type Mapped = Pick<TableColumn, 'type' | 'sourceType' | 'icebergType' | 'json'>;

const ICEBERG_TYPES: { readonly [athenaType: string]: string } = {
  string: 'string',
  bigint: 'long',
  double: 'double',
  boolean: 'boolean',
  timestamp: 'timestamp',
  date: 'date',
};
const STRING: Mapped = { type: 'string', icebergType: 'string' };
const JSON_TEXT: Mapped = { ...STRING, json: true };
const SCALARS: { readonly [type: string]: Mapped } = {
  string: STRING,
  integer: { type: 'bigint', icebergType: 'long' },
  number: { type: 'double', icebergType: 'double' },
  boolean: { type: 'boolean', icebergType: 'boolean' },
};
/** Strings of these formats are ISO-8601 text in the curated lines, typed in the table. */
const FORMATS: { readonly [format: string]: Mapped } = {
  'date-time': { type: 'timestamp', sourceType: 'string', icebergType: 'timestamp' },
  date: { type: 'date', sourceType: 'string', icebergType: 'date' },
};

const RESERVED_DOCS: { readonly [name: string]: string } = {
  [LAKEHOUSE_COLUMNS.key]: 'table key: the declared key field, else the record id',
  [LAKEHOUSE_COLUMNS.op]: 'upsert, or delete (a tombstone: the key was deleted)',
  [LAKEHOUSE_COLUMNS.eventTime]: 'event time of the input (UTC)',
  [LAKEHOUSE_COLUMNS.processedAt]: 'when the runtime wrote the line (UTC)',
  [LAKEHOUSE_COLUMNS.transformVersion]: 'version of the transform that derived the row',
  [LAKEHOUSE_COLUMNS.schemaVersion]: 'input schema version the record was validated against',
  [LAKEHOUSE_COLUMNS.position]: 'input position and output index (last tie-break)',
};

/** The reserved columns every current table has, first, as the SQL declares them (`RESERVED_TABLE_COLUMNS`). */
export const LAKEHOUSE_TABLE_COLUMNS: readonly TableColumn[] = Object.freeze(
  RESERVED_TABLE_COLUMNS.map((c) => ({ ...c, field: c.name, icebergType: ICEBERG_TYPES[c.type], doc: RESERVED_DOCS[c.name] })),
);

/** What {@link columnsFromJsonSchema} found: the columns, or every problem with a path. */
export type ColumnsResult = { readonly ok: true; readonly columns: TableColumn[] } | { readonly ok: false; readonly problems: string[] };

/**
 * The data columns of a current table from the JSON Schema of the transform's output: one column
 * per top-level property, in the schema's order. Strings, integers, numbers and booleans map to
 * `string`, `bigint`, `double` and `boolean`; strings of `format` `date-time` and `date` to
 * `timestamp` (UTC) and `date`; nested objects and arrays to `string` columns holding their JSON
 * text (query them with `json_extract_scalar`). A type may be nullable (`["string", "null"]`). Anything else (a union of
 * types, `anyOf`/`oneOf`/`allOf`, a `$ref` to another document, no `type`, a name Athena cannot
 * hold, two names equal in lower case, a name starting with `_etl_`) is a problem naming the
 * property by `path` (the prop the schema was given as), so one error lists them all.
 */
export function columnsFromJsonSchema(schema: unknown, path: string): ColumnsResult {
  const problems: string[] = [];
  if (!isSchemaObject(schema)) return { ok: false, problems: [`${path} must be a JSON Schema object`] };
  const root = schema;
  const top = dereference(root, root);
  if (!top || typeOf(top, problems, path) !== 'object' || !isSchemaObject(top.properties)) {
    return { ok: false, problems: [...problems, `${path} must describe an object with "properties" (type "object"): the output records`] };
  }
  const columns: TableColumn[] = [];
  const byName = new Map<string, string>();
  for (const [field, raw] of Object.entries(top.properties)) {
    const at = `${path}.properties.${field}`;
    const name = field.toLowerCase();
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
      problems.push(`${at}: the name ${JSON.stringify(field)} cannot be an Athena column (letters, digits and "_", not starting with a digit)`);
      continue;
    }
    if (name.startsWith('_etl_')) {
      problems.push(`${at}: names starting with "_etl_" are the lakehouse's own columns`);
      continue;
    }
    const clash = byName.get(name);
    if (clash !== undefined) {
      problems.push(`${at}: ${JSON.stringify(field)} and ${JSON.stringify(clash)} are the same column in Athena (names are lower case)`);
      continue;
    }
    byName.set(name, field);
    const property = isSchemaObject(raw) ? dereference(root, raw) : undefined;
    if (!property) {
      problems.push(`${at} must be a schema object (a local "$ref" that resolves is fine)`);
      continue;
    }
    const mapped = mapProperty(property, at, problems);
    if (!mapped) continue;
    const doc = typeof property.description === 'string' && property.description !== '' ? property.description.slice(0, 255) : undefined;
    columns.push({ name, field, ...mapped, ...(doc ? { doc } : {}) });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, columns };
}

function mapProperty(property: JsonSchema, at: string, problems: string[]): Mapped | undefined {
  for (const keyword of ['anyOf', 'oneOf', 'allOf', 'not']) {
    if (keyword in property) {
      problems.push(`${at}.${keyword} is not supported: give the field one "type" (optionally with "null")`);
      return undefined;
    }
  }
  const type = typeOf(property, problems, at);
  if (type === undefined) return undefined;
  if (type === 'object' || type === 'array') return JSON_TEXT;
  if (type === 'string' && typeof property.format === 'string' && FORMATS[property.format]) return FORMATS[property.format];
  const mapped = SCALARS[type];
  if (!mapped) problems.push(`${at}.type ${JSON.stringify(type)} has no column type (string, integer, number, boolean, object or array)`);
  return mapped;
}

/** The one non-null type of a schema (`"string"`, or `["string", "null"]`); a problem otherwise. */
function typeOf(schema: JsonSchema, problems: string[], at: string): string | undefined {
  const declared = schema.type;
  const types = typeof declared === 'string' ? [declared] : Array.isArray(declared) ? declared.filter((t) => t !== 'null') : [];
  if (declared === undefined) {
    problems.push(`${at} has no "type": every column needs one`);
    return undefined;
  }
  if (types.length !== 1 || typeof types[0] !== 'string') {
    problems.push(`${at}.type ${JSON.stringify(declared)} is not supported: one type, optionally with "null"`);
    return undefined;
  }
  if (types[0] === 'null') {
    problems.push(`${at}.type is "null": a column needs a value type`);
    return undefined;
  }
  return types[0] as string;
}
