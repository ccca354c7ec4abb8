/**
 * The schema bundle: the module `SchemaRegistry.bundle()` generates at synth (lib/schema/) and the
 * runtime imports as `@cdk-serverless-etl/schema-bundle` (lambda/runtime/schema-validation.ts),
 * with the PII fields of each schema version.
 */

/** The values `"x-pii"` accepts: replace the field by a keyed hash (joins still work), or remove it. */
export const PII_ACTIONS = Object.freeze(['hash', 'redact'] as const);

/** What the runtime does with a field marked `"x-pii"` (one of {@link PII_ACTIONS}). */
export type PiiAction = (typeof PII_ACTIONS)[number];

/** A field marked `"x-pii"` in a schema: where it is and what to do with it. */
export interface PiiField {
  /** Property names from the record root; `'*'` stands for every element of an array. */
  readonly path: readonly string[];
  /** `hash`: replace by a keyed hash (joins still work); `redact`: remove the field. */
  readonly action: PiiAction;
}

/** One validation error, as ajv reports it. */
export interface SchemaValidationError {
  /** JSON pointer to the offending value in the record (`/page/url`; `''` for the record itself). */
  readonly instancePath: string;
  /** The schema keyword that failed (`required`, `type`, `enum`, `format`, ...). */
  readonly keyword: string;
  /** A human-readable message. */
  readonly message?: string;
  /** Keyword-specific details (`{ missingProperty: 'eventId' }`, `{ allowedValues: [...] }`, ...). */
  readonly params?: unknown;
}

/** A precompiled validator (ajv's standalone code): true when `data` is valid, else sets `errors`. */
export interface CompiledValidator {
  (data: unknown): boolean;
  /** The errors of the last call that returned false (null after a successful call). */
  errors?: SchemaValidationError[] | null;
}

/** The validator and PII fields of one schema version. */
export interface SchemaVersionValidator {
  readonly validate: CompiledValidator;
  readonly pii: readonly PiiField[];
}

/** The bundle module's exports: the schemas of a pipeline, compiled at synth time. */
export interface SchemaBundle {
  /** The record field naming the schema version of a record (e.g. `schemaVersion`). */
  readonly versionField?: string;
  /** The version assumed for records without the version field. */
  readonly defaultVersion?: string;
  /** Validator and PII fields of each version. */
  readonly versions: Readonly<Record<string, SchemaVersionValidator>>;
}
