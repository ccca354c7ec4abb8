/**
 * The shape of the validator module that `SchemaRegistry.bundle()` generates at synth time.
 *
 * The Lambda runtime imports this file with `import type` only, so it must stay free of runtime
 * code and must never import aws-cdk-lib (or anything else that would end up in a bundle).
 */

/** What the runtime does with a field marked `"x-pii"`: replace it by a keyed hash, or remove it. */
export type PiiAction = 'hash' | 'redact';

/**
 * A field marked `"x-pii"` in a schema. `path` is the list of property names from the record's
 * root; the segment `'*'` means "every element" of an array.
 */
export interface PiiField {
  readonly path: string[];
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

/** A precompiled validator: returns true when `data` is valid, else sets `errors`. */
export interface SchemaValidateFunction {
  (data: unknown): boolean;
  /** The errors of the last call that returned false (null after a successful call). */
  errors?: SchemaValidationError[] | null;
}

/** The validator and PII fields of one schema version. */
export interface SchemaVersionValidator {
  readonly validate: SchemaValidateFunction;
  readonly pii: PiiField[];
}

/** The generated module's exports. */
export interface SchemaBundleModule {
  /** The record field naming the schema version of a record (e.g. `schemaVersion`). */
  readonly versionField: string | undefined;
  /** The version used for records without the version field. */
  readonly defaultVersion: string | undefined;
  /** Validators and PII fields by version. */
  readonly versions: Record<string, SchemaVersionValidator>;
}
