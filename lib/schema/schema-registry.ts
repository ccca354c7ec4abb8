import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, Names, Token } from 'aws-cdk-lib';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import { Construct, IConstruct } from 'constructs';
import { PropValidator, resolutionNote } from '../core/prop-validator';
import { DRAFT_04_URI, isDraft04, isSchemaObject, JsonSchema } from './json-schema';
import { collectPiiFields } from './pii-fields';
import { compileValidatorCode, writeSchemaBundle } from './schema-bundle';
import type { PiiField } from '../contract/schema-bundle';
import { unsafePatterns } from './regex-safety';
import { checkBackwardCompatibility } from './schema-compatibility';

/** One version of a record schema. */
export interface SchemaVersion {
  /**
   * The version label, as records carry it in the version field (e.g. `1`): 1 to 32 letters,
   * digits, `.`, `_` or `-`, unique within the registry.
   */
  readonly version: string;

  /**
   * Path to the JSON Schema (draft-04) file of this version. A relative path resolves against the
   * current directory of the synth (where `cdk synth` runs the app: the directory of `cdk.json`),
   * not the file that names it; use `path.join(__dirname, ...)` to be independent of it. Fields marked `"x-pii": "hash" | "redact"` are masked by the runtime.
   */
  readonly file: string;
}

/** Props for {@link SchemaRegistry}. */
export interface SchemaRegistryProps {
  /**
   * The schema versions, oldest first. Each version must be backward compatible with the one
   * before it (see `allowBreakingChanges`).
   */
  readonly schemas: SchemaVersion[];

  /**
   * Name of the EventBridge schema registry: 1 to 64 letters, digits, `.`, `_` or `-`.
   * @default - a name generated from the construct path
   */
  readonly registryName?: string;

  /**
   * The top-level record field naming the record's schema version.
   * @default 'schemaVersion'
   */
  readonly versionField?: string;

  /**
   * The version of records without the version field; one of the `schemas` versions.
   * @default - the latest version (the last of `schemas`)
   */
  readonly defaultVersion?: string;

  /**
   * Accept versions that break readers of data written under the version before (a property
   * removed or retyped, a new required property, an enum narrowed). Each break is reported as a
   * warning instead of failing synth.
   * @default false
   */
  readonly allowBreakingChanges?: boolean;

  /**
   * Description of the registry (at most 256 characters).
   * @default - names the construct
   */
  readonly description?: string;
}

/** A version as loaded from its file. */
interface LoadedSchema {
  readonly version: string;
  readonly file: string;
  readonly schema: JsonSchema;
  readonly pii: PiiField[];
}

const VERSION_PATTERN = /^[A-Za-z0-9._-]{1,32}$/;
const REGISTRY_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_DESCRIPTION = 256;

/**
 * A schema registry of the library, as other constructs accept it (what `s3.IBucket` is to
 * `s3.Bucket`): implemented by {@link SchemaRegistry}. `TransformFunction` and `BatchWorkflow`
 * take one.
 */
export interface ISchemaRegistry extends IConstruct {
  /** The EventBridge schema registry. */
  readonly registry: eventschemas.CfnRegistry;
  /** One EventBridge schema per version, in the order of `versions`. */
  readonly schemaResources: eventschemas.CfnSchema[];
  /** Name of the schema registry. */
  readonly registryName: string;
  /** ARN of the schema registry. */
  readonly registryArn: string;
  /** The versions, oldest first. */
  readonly versions: string[];
  /** The record field naming the record's schema version. */
  readonly versionField: string;
  /** The version of records without the version field. */
  readonly defaultVersion: string;
  /** The newest version. */
  readonly latestVersion: string;
  /** True when any version marks a field `"x-pii": "hash"` (the runtime then needs a hashing key). */
  readonly hasHashedFields: boolean;
  /** Whether any version marks the record's top-level field `name` `"x-pii"` (either action). */
  marksPii(name: string): boolean;
  /**
   * The validator module the Lambda runtime bundles (precompiled validators, PII fields, version
   * field and default version), typed by the contract's `SchemaBundle`.
   * @returns the absolute path of the module
   */
  bundle(): string;
}

/**
 * The versioned JSON Schemas (draft-04) of a pipeline's records: an EventBridge schema registry
 * with one schema per version, and, for the Lambda runtime, a module of validators precompiled at
 * synth time ({@link SchemaRegistry.bundle}).
 *
 * Every schema file is checked when the construct is created: it must be valid draft-04 JSON
 * Schema that ajv compiles in strict mode, with valid `x-pii` annotations, and each version must
 * be backward compatible with the version before it unless `allowBreakingChanges` is set.
 */
export class SchemaRegistry extends Construct implements ISchemaRegistry {
  /** The EventBridge schema registry. */
  public readonly registry: eventschemas.CfnRegistry;
  /** One EventBridge schema per version, in the order of `versions`. */
  public readonly schemaResources: eventschemas.CfnSchema[];
  /** Name of the schema registry. */
  public readonly registryName: string;
  /** ARN of the schema registry. */
  public readonly registryArn: string;
  /** The versions, oldest first. */
  public readonly versions: string[];
  /** The record field naming the record's schema version. */
  public readonly versionField: string;
  /** The version of records without the version field. */
  public readonly defaultVersion: string;
  /** The newest version. */
  public readonly latestVersion: string;
  /** True when any version marks a field `"x-pii": "hash"` (the runtime then needs a hashing key). */
  public readonly hasHashedFields: boolean;

  private readonly loaded: LoadedSchema[];
  private bundlePath?: string;

  /**
   * Whether any version marks the record's top-level field `name` `"x-pii"` (either action).
   * The runtime derives the record ids of an `idField` so marked from its keyed hash, so the
   * pipeline needs a hashing key even when every field is only redacted.
   */
  public marksPii(name: string): boolean {
    return this.loaded.some((s) => s.pii.some((f) => f.path[0] === name && f.path.slice(1).every((p) => p === '*')));
  }

  constructor(scope: Construct, id: string, props: SchemaRegistryProps) {
    super(scope, id);
    const versionField = props.versionField ?? 'schemaVersion';
    const validator = new PropValidator(`SchemaRegistry (${this.node.path})`);
    const loaded = checkAndLoad(validator, props);
    validator.throwIfInvalid();
    this.loaded = loaded;
    this.versions = loaded.map((s) => s.version);
    this.latestVersion = this.versions[this.versions.length - 1];
    this.defaultVersion = props.defaultVersion ?? this.latestVersion;
    this.versionField = versionField;
    this.hasHashedFields = loaded.some((s) => s.pii.some((f) => f.action === 'hash'));

    if (props.allowBreakingChanges) {
      for (const problem of compatibilityProblems(loaded, versionField)) {
        Annotations.of(this).addWarningV2(
          'cdk-serverless-etl:breakingSchemaChange',
          `${problem} (allowed by allowBreakingChanges: readers of older records must handle this change)`,
        );
      }
    }

    this.registryName =
      props.registryName ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-', allowedSpecialCharacters: '-_.' });
    this.registry = new eventschemas.CfnRegistry(this, 'Resource', {
      registryName: this.registryName,
      description: props.description ?? `Record schemas of ${this.node.path}`.slice(0, MAX_DESCRIPTION),
    });
    this.registryArn = this.registry.attrRegistryArn;

    this.schemaResources = loaded.map((s) => {
      const schema = new eventschemas.CfnSchema(this, `Version${s.version}`, {
        registryName: this.registryName,
        schemaName: `${this.registryName}-v${s.version}`,
        type: 'JSONSchemaDraft4',
        content: JSON.stringify(s.schema),
        description: `Version ${s.version} of the record schema (${path.basename(s.file)})`.slice(0, MAX_DESCRIPTION),
      });
      schema.node.addDependency(this.registry);
      return schema;
    });
  }

  /**
   * Generates (once per registry) the validator module the Lambda runtime bundles: one CommonJS
   * file with a precompiled ajv validator and the PII fields of every version, and the version
   * field and default version. Its exports are typed by the contract's `SchemaBundle`
   * (`lib/contract/schema-bundle.ts`), which the runtime reads.
   *
   * @returns the absolute path of the module (in the library's cache directory, named by content hash)
   */
  public bundle(): string {
    this.bundlePath ??= writeSchemaBundle({
      versions: this.loaded.map((s) => ({ version: s.version, schema: s.schema })),
      versionField: this.versionField,
      defaultVersion: this.defaultVersion,
    });
    return this.bundlePath;
  }
}

/**
 * Checks every prop and schema file of a {@link SchemaRegistry}; adds each problem to `v`
 * (`EtlPipeline` passes its own, under `schemas`).
 */
export function validateSchemaRegistryProps(v: PropValidator, props: SchemaRegistryProps): void {
  checkAndLoad(v, props);
}

/** Checks as {@link validateSchemaRegistryProps}; returns the schemas that loaded (all of them when no problem was found). */
function checkAndLoad(v: PropValidator, props: SchemaRegistryProps): LoadedSchema[] {
  const versionField = props.versionField ?? 'schemaVersion';
  const schemas = props.schemas ?? [];
  v.check(schemas.length === 0, `${v.path('schemas')} is empty; it must list at least one schema version, oldest first`);

  const versions = schemas.map((s) => s.version);
  const loaded: Array<LoadedSchema | undefined> = schemas.map((s, i) => {
    v.check(typeof s.version !== 'string', `${v.path(`schemas[${i}].version`)} is ${JSON.stringify(s.version)}; it must be a string`);
    v.pattern(`schemas[${i}].version`, s.version, VERSION_PATTERN, "1 to 32 letters, digits, '.', '_' or '-'");
    const first = versions.indexOf(s.version);
    v.check(
      first !== i,
      `${v.path(`schemas[${i}].version`)} is ${JSON.stringify(s.version)}; versions must be unique (${v.path(`schemas[${first}]`)} has it too)`,
    );
    return loadSchema(v, i, s);
  });

  v.pattern('registryName', props.registryName, REGISTRY_NAME_PATTERN, "1 to 64 letters, digits, '.', '_' or '-'");
  v.check(
    Token.isUnresolved(versionField) || versionField.length === 0,
    `${v.path('versionField')} is ${JSON.stringify(versionField)}; it must name a top-level record field (a literal string: ` +
      'it is compiled into the validator module at synth)',
  );
  v.check(
    props.defaultVersion !== undefined && !versions.includes(props.defaultVersion),
    `${v.path('defaultVersion')} is ${JSON.stringify(props.defaultVersion)}; it must be one of the versions ` +
      `${[...new Set(versions.filter((x) => typeof x === 'string'))].map((x) => JSON.stringify(x)).join(', ')}`,
  );
  if (props.description !== undefined && !Token.isUnresolved(props.description)) {
    v.check(
      props.description.length > MAX_DESCRIPTION,
      `${v.path('description')} is ${props.description.length} characters long; it must be at most ${MAX_DESCRIPTION}`,
    );
  }

  if (!props.allowBreakingChanges) {
    // Consecutive pairs that both loaded: one bad file does not hide the other breaks.
    loaded.forEach((next, i) => {
      const prev = loaded[i - 1];
      if (!prev || !next) return;
      for (const problem of pairProblems(prev, next, i, versionField, v)) v.check(true, problem);
    });
  }
  return loaded.filter((s): s is LoadedSchema => s !== undefined);
}

/** Reads, parses and checks one schema file; records each problem and returns undefined if any. */
function loadSchema(v: PropValidator, i: number, entry: SchemaVersion): LoadedSchema | undefined {
  const prop = v.path(`schemas[${i}].file`);
  if (typeof entry.file !== 'string' || entry.file.length === 0) {
    v.check(true, `${prop} is ${JSON.stringify(entry.file)}; it must be the path of a JSON Schema file`);
    return undefined;
  }
  const where = `${prop} (${JSON.stringify(entry.file)})`;
  const resolved = path.resolve(entry.file);
  let text: string;
  try {
    text = fs.readFileSync(resolved, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'the file does not exist' : code === 'EISDIR' ? 'it is a directory' : `the file cannot be read (${code ?? (error as Error).message})`;
    v.check(true, `${prop} is ${JSON.stringify(entry.file)}; ${reason}${resolutionNote(entry.file, resolved)}`);
    return undefined;
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    v.check(true, `${where} is not valid JSON: ${(error as Error).message}`);
    return undefined;
  }
  if (!isSchemaObject(schema)) {
    v.check(true, `${where} is not a JSON Schema: its top level must be a JSON object`);
    return undefined;
  }
  const declared = schema.$schema;
  if (declared !== undefined && !isDraft04(declared)) {
    v.check(
      true,
      `${where} declares $schema ${JSON.stringify(declared)}; it must be JSON Schema draft-04 ("${DRAFT_04_URI}"), ` +
        'the draft EventBridge schemas (JSONSchemaDraft4) and the runtime validator use',
    );
    return undefined;
  }
  const unsafe = unsafePatterns(schema);
  for (const u of unsafe) {
    v.check(
      true,
      u.problem === 'invalid'
        ? `${where}: the regular expression ${JSON.stringify(u.pattern)} at ${u.pointer} is not valid`
        : `${where}: the regular expression ${JSON.stringify(u.pattern)} at ${u.pointer} can backtrack catastrophically ` +
            '(a quantified group holding a quantifier, or more than 25 repetitions): one long value would block validation for seconds. ' +
            'Rewrite it without nested quantifiers (e.g. "^(a+)+$" as "^a+$")',
    );
  }
  if (unsafe.length > 0) return undefined;
  let valid = true;
  try {
    compileValidatorCode(schema);
  } catch (error) {
    v.check(true, `${where} is not a valid draft-04 schema: ${(error as Error).message}`);
    valid = false;
  }
  const pii = collectPiiFields(schema);
  for (const problem of pii.problems) v.check(true, `${where}: ${problem}`);
  if (!valid || pii.problems.length > 0) return undefined;
  return { version: entry.version, file: entry.file, schema, pii: pii.fields };
}

function compatibilityProblems(loaded: LoadedSchema[], versionField: string): string[] {
  return loaded.flatMap((next, i) => (i === 0 ? [] : pairProblems(loaded[i - 1], next, i, versionField)));
}

function pairProblems(prev: LoadedSchema, next: LoadedSchema, i: number, versionField: string, v?: PropValidator): string[] {
  return checkBackwardCompatibility(prev.schema, next.schema, {
    previous: prev.version,
    next: next.version,
    subject: `${v ? v.path(`schemas[${i}]`) : `schemas[${i}]`} (version ${next.version})`,
    versionField,
  });
}
