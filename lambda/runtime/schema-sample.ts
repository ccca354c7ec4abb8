import type { SchemaSample } from '../../lib/contract/range-invocation';
import type { RuntimeConfig } from './config';
import { toEnvelope } from './envelope';
import { checkSchema, type SchemaBundle } from './schema-validation';
import type { SourceRecord } from './source-records';

/** Most distinct mismatch messages a sample reports (schema paths and rules, never values). */
const MAX_SAMPLE_ERRORS = 5;

/**
 * Validates records against the pipeline's schemas without masking, transforming or writing:
 * the classification is the runtime's own (envelope, then schema version), so a sample's drift
 * rate predicts what the load would quarantine as `SCHEMA_MISMATCH` or `UNKNOWN_SCHEMA_VERSION`.
 */
export function sampleSchema(records: readonly SourceRecord[], schemas: SchemaBundle, config: RuntimeConfig): SchemaSample {
  let parsed = 0;
  let schemaMismatches = 0;
  // Prototype-free: versions come from records, and a record naming "constructor" or "__proto__"
  // must count as that version, not find (or replace) what every object inherits.
  const versions = Object.create(null) as Record<string, number>;
  const errors = new Set<string>();
  for (const record of records) {
    const envelope = toEnvelope(record, config);
    if (!envelope.ok) continue;
    parsed++;
    const check = checkSchema(envelope.envelope.payload, schemas);
    // Versions come from records: bounded, so a stray value cannot bloat the state or the logs.
    const version = (check.version ?? '(none)').slice(0, 40);
    versions[version] = (versions[version] ?? 0) + 1;
    if (check.ok) continue;
    schemaMismatches++;
    for (const e of check.errors) if (errors.size < MAX_SAMPLE_ERRORS) errors.add(`${check.reason}: ${e}`);
  }
  const recordsIn = records.length;
  return {
    recordsIn,
    parsed,
    malformed: recordsIn - parsed,
    schemaMismatches,
    driftRate: recordsIn === 0 ? 0 : schemaMismatches / recordsIn,
    versions,
    errors: [...errors],
  };
}
