import type { CompiledValidator, PiiField, SchemaBundle } from '../../lib/contract/schema-bundle';
import type { PipelineRecord } from './transform-contract';

// The bundle's shape is the contract's: SchemaRegistry generates it, this module reads it.
export type { CompiledValidator, SchemaBundle };

/** The outcome of validating one record. */
export type SchemaCheck =
  | { readonly ok: true; readonly version?: string; readonly pii: readonly PiiField[] }
  | {
      readonly ok: false;
      readonly reason: 'SCHEMA_MISMATCH' | 'UNKNOWN_SCHEMA_VERSION';
      readonly version?: string;
      readonly errors: string[];
      /** Fields to mask before the record is quarantined. */
      readonly pii: readonly PiiField[];
    };

const MAX_ERRORS = 10;

/** Validates a record against the schema version it names (or the default version). */
export function checkSchema(record: PipelineRecord, bundle: SchemaBundle): SchemaCheck {
  const versions = Object.keys(bundle.versions);
  if (versions.length === 0) return { ok: true, pii: [] };
  const named = bundle.versionField ? record[bundle.versionField] : undefined;
  const version = typeof named === 'string' || typeof named === 'number' ? String(named) : bundle.defaultVersion;
  // Own versions only: a record naming "constructor" or "toString" finds no inherited member,
  // whether or not the bundle's map has a prototype (a hand-built bundle may).
  const schema = version === undefined || !Object.prototype.hasOwnProperty.call(bundle.versions, version) ? undefined : bundle.versions[version];
  if (!schema) {
    return {
      ok: false,
      reason: 'UNKNOWN_SCHEMA_VERSION',
      version,
      errors: [`schema version ${JSON.stringify(version ?? null)} is not registered (known: ${versions.join(', ')})`],
      pii: allPiiFields(bundle),
    };
  }
  if (schema.validate(record)) return { ok: true, version, pii: schema.pii };
  const errors = (schema.validate.errors ?? [])
    .slice(0, MAX_ERRORS)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
  // Mask with every version's fields: a record that does not match its schema may carry PII elsewhere.
  return { ok: false, reason: 'SCHEMA_MISMATCH', version, errors, pii: allPiiFields(bundle) };
}

/** Every PII field of every version, deduplicated. */
export function allPiiFields(bundle: SchemaBundle): PiiField[] {
  const seen = new Map<string, PiiField>();
  for (const { pii } of Object.values(bundle.versions)) {
    for (const field of pii) {
      // A field redacted in any version is redacted everywhere it is masked generically.
      const existing = seen.get(field.path.join('.'));
      if (!existing || field.action === 'redact') seen.set(field.path.join('.'), field);
    }
  }
  return [...seen.values()];
}
