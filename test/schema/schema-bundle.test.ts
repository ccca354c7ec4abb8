import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import {
  compileValidatorCode,
  defaultBundleDir,
  generateSchemaBundleSource,
  SchemaBundleOptions,
  writeSchemaBundle,
} from '../../lib/schema/schema-bundle';
import type { SchemaBundle, SchemaValidationError } from '../../lib/contract/schema-bundle';
import { CLICKSTREAM_V1, CLICKSTREAM_V2, readJson, sampleEvents } from './schema-fixtures';

const v1 = readJson(CLICKSTREAM_V1);
const v2 = readJson(CLICKSTREAM_V2);
const OPTIONS: SchemaBundleOptions = {
  versions: [
    { version: '1', schema: v1 },
    { version: '2', schema: v2 },
  ],
  versionField: 'schemaVersion',
  defaultVersion: '2',
};

const tempDirs: string[] = [];
const tmp = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
};
afterAll(() => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** Bundles the generated module with esbuild from an unrelated directory, as TransformFunction would. */
function bundle(file: string): { outfile: string; text: string; inputs: string[] } {
  const workDir = tmp('schema-bundle-esbuild-');
  const outfile = path.join(workDir, 'out', 'index.js');
  const result = esbuild.buildSync({
    entryPoints: [file],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    outfile,
    absWorkingDir: workDir,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile?.inputs ?? {}).map((input) => path.resolve(workDir, input));
  return { outfile, text: fs.readFileSync(outfile, 'utf8'), inputs };
}

describe('schema bundle (generated at synth, bundled with esbuild)', () => {
  const outDir = tmp('schema-bundle-out-');
  const file = writeSchemaBundle({ ...OPTIONS, outDir });
  const source = fs.readFileSync(file, 'utf8');
  const bundled = bundle(file);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(bundled.outfile) as SchemaBundle;
  const { validate } = mod.versions['1'];
  const event = sampleEvents()[0];

  /** Validates `record` against version 1, expecting failure, and returns the errors. */
  const errorsOf = (record: unknown, version = '1'): SchemaValidationError[] => {
    const v = mod.versions[version].validate;
    expect(v(record)).toBe(false);
    return v.errors ?? [];
  };

  test('is written to <outDir>/schema-validators-<hash>.cjs (CommonJS whatever the project type), an absolute path', () => {
    expect(path.isAbsolute(file)).toBe(true);
    expect(path.dirname(file)).toBe(path.resolve(outDir));
    expect(path.basename(file)).toMatch(/^schema-validators-[0-9a-f]{20}\.cjs$/);
    expect(file).not.toContain('node_modules');
  });

  test('exports exactly versionField, defaultVersion and versions', () => {
    expect(Object.keys(mod).sort()).toEqual(['defaultVersion', 'versionField', 'versions']);
    expect(mod.versionField).toBe('schemaVersion');
    expect(mod.defaultVersion).toBe('2');
    expect(Object.keys(mod.versions)).toEqual(['1', '2']);
  });

  test('versions has no prototype: a record naming "toString" or "__proto__" finds no validator', () => {
    expect((mod.versions as Record<string, unknown>).toString).toBeUndefined();
    expect(Object.getPrototypeOf(mod.versions)).toBeNull();
  });

  test('carries the PII fields of each version', () => {
    expect(mod.versions['1'].pii).toEqual([
      { path: ['userId'], action: 'hash' },
      { path: ['email'], action: 'redact' },
      { path: ['ip'], action: 'redact' },
    ]);
    expect(mod.versions['2'].pii).toEqual([
      { path: ['userId'], action: 'hash' },
      { path: ['email'], action: 'redact' },
      { path: ['ip'], action: 'redact' },
      { path: ['device', 'advertisingId'], action: 'hash' },
      { path: ['cart', '*', 'giftMessageTo'], action: 'redact' },
    ]);
  });

  test('the sample clickstream events: valid ones pass, the drifted one and the one without eventId fail', () => {
    const events = sampleEvents();
    expect(events.length).toBeGreaterThan(12);
    const invalid = events.filter((e) => !validate(e)).map((e) => e.eventId ?? '(no eventId)');
    expect(invalid).toEqual(['evt-0015', '(no eventId)']);
  });

  test('errors are set by a failed call and cleared by a successful one', () => {
    expect(validate({ ...event, eventType: 'nope' })).toBe(false);
    expect(validate.errors).toHaveLength(1);
    expect(validate(event)).toBe(true);
    expect(validate.errors).toBeNull();
  });

  test('a missing required field fails with the missing property', () => {
    const { eventId: _eventId, ...record } = event;
    expect(errorsOf(record)).toEqual([
      expect.objectContaining({ instancePath: '', keyword: 'required', params: { missingProperty: 'eventId' } }),
    ]);
  });

  test('a missing nested required field fails at the nested object', () => {
    expect(errorsOf({ ...event, page: { referrer: 'x' } })).toEqual([
      expect.objectContaining({ instancePath: '/page', keyword: 'required', params: { missingProperty: 'url' } }),
    ]);
  });

  test('a wrong type fails at its path', () => {
    expect(errorsOf({ ...event, page: 'https://shop.example.com/' })).toEqual([
      expect.objectContaining({ instancePath: '/page', keyword: 'type', message: 'must be object' }),
    ]);
    expect(errorsOf({ ...event, page: { url: 42 } })).toEqual([expect.objectContaining({ instancePath: '/page/url', keyword: 'type' })]);
  });

  test('a value outside the enum fails', () => {
    expect(errorsOf({ ...event, eventType: 'scroll' })).toEqual([
      expect.objectContaining({
        instancePath: '/eventType',
        keyword: 'enum',
        params: { allowedValues: ['page_view', 'click', 'add_to_cart', 'purchase'] },
      }),
    ]);
  });

  test.each(['yesterday', '2026-13-01T00:00:00Z', '2026-11-24T09:00:07', '2026-11-24'])('date-time %s fails the format', (eventTime) => {
    expect(errorsOf({ ...event, eventTime })).toEqual([
      expect.objectContaining({ instancePath: '/eventTime', keyword: 'format', params: { format: 'date-time' } }),
    ]);
  });

  test('string lengths count characters, not UTF-16 units', () => {
    expect(validate({ ...event, eventId: '😀'.repeat(128) })).toBe(true);
    expect(errorsOf({ ...event, eventId: '😀'.repeat(129) })).toEqual([expect.objectContaining({ instancePath: '/eventId', keyword: 'maxLength' })]);
  });

  test('reports every error of a record, not only the first', () => {
    const errors = errorsOf({ ...event, eventType: 'scroll', eventTime: 'now', page: {} });
    expect(errors.map((e) => `${e.instancePath} ${e.keyword}`)).toEqual(['/eventTime format', '/eventType enum', '/page required']);
  });

  test('each version validates with its own schema', () => {
    const record = { ...event, schemaVersion: '2', eventType: 'search', device: { kind: 'mobile' }, cart: [{ sku: 'a', quantity: 1 }] };
    expect(mod.versions['2'].validate(record)).toBe(true);
    expect(errorsOf({ ...record, schemaVersion: '2' })).toEqual([
      expect.objectContaining({ instancePath: '/eventType', keyword: 'enum' }),
      expect.objectContaining({ instancePath: '/schemaVersion', keyword: 'enum' }),
    ]);
    expect(errorsOf({ ...record, cart: [{ sku: 'a', quantity: 0 }] }, '2')).toEqual([
      expect.objectContaining({ instancePath: '/cart/0/quantity', keyword: 'minimum' }),
    ]);
  });

  test('validators are precompiled: no ajv compiler in the bundle, which stays small', () => {
    expect(bundled.text).not.toMatch(/new Ajv|require\(["']ajv["']\)|ajv\/dist\/(core|compile)/);
    expect(bundled.text.length).toBeLessThan(60 * 1024);
    // What bundling adds to the generated validators (ajv's runtime helpers and the formats): small.
    expect(bundled.text.length - source.length).toBeLessThan(30 * 1024);
    const ajvInputs = bundled.inputs.filter((input) => input.includes(`${path.sep}ajv${path.sep}`));
    expect(ajvInputs.length).toBeGreaterThan(0);
    for (const input of ajvInputs) expect(input).toContain(path.join('ajv', 'dist', 'runtime'));
    expect(bundled.inputs.some((input) => input.endsWith(path.join('ajv-formats', 'dist', 'formats.js')))).toBe(true);
    expect(bundled.inputs.some((input) => input.endsWith(path.join('ajv-formats', 'dist', 'index.js')))).toBe(false);
  });

  test('every require in the generated module is an absolute path to an existing file', () => {
    const requires = [...source.matchAll(/\brequire\(([^)]*)\)/g)].map((m) => m[1]);
    expect(requires.length).toBeGreaterThan(0);
    for (const spec of requires) {
      const target = JSON.parse(spec) as string;
      expect(path.isAbsolute(target)).toBe(true);
      expect(fs.existsSync(target)).toBe(true);
    }
  });

  test('the generated module also loads directly in Node', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const direct = require(file) as SchemaBundle;
    expect(direct.versions['1'].validate(event)).toBe(true);
    expect(direct.versions['1'].validate({})).toBe(false);
  });

  test('the same inputs give byte-identical output and the same file', () => {
    const again = generateSchemaBundleSource({
      ...OPTIONS,
      versions: OPTIONS.versions.map((v) => ({ ...v, schema: JSON.parse(JSON.stringify(v.schema)) })),
    });
    expect(again).toBe(source);
    expect(writeSchemaBundle({ ...OPTIONS, outDir })).toBe(file);
    const elsewhere = writeSchemaBundle({ ...OPTIONS, outDir: tmp('schema-bundle-other-') });
    expect(path.basename(elsewhere)).toBe(path.basename(file));
    expect(fs.readFileSync(elsewhere, 'utf8')).toBe(source);
  });

  test('different inputs give a different file', () => {
    expect(writeSchemaBundle({ ...OPTIONS, outDir, defaultVersion: '1' })).not.toBe(file);
    expect(writeSchemaBundle({ ...OPTIONS, outDir, versions: [{ version: '1', schema: v1 }], defaultVersion: undefined })).not.toBe(file);
  });

  test("writes to the project's node_modules/.cache by default", () => {
    const written = writeSchemaBundle(OPTIONS);
    expect(path.dirname(written)).toBe(defaultBundleDir());
    expect(defaultBundleDir()).toBe(path.join(process.cwd(), 'node_modules', '.cache', 'cdk-serverless-etl', 'schema-bundles'));
    expect(fs.readFileSync(written, 'utf8')).toBe(source);
  });

  test('without a version field or default version, both are exported as undefined', () => {
    const m = loadSource(generateSchemaBundleSource({ versions: [{ version: 'a', schema: v1 }] }));
    expect(m.versionField).toBeUndefined();
    expect(m.defaultVersion).toBeUndefined();
    expect(Object.keys(m.versions)).toEqual(['a']);
  });
});

describe('compileValidatorCode', () => {
  test('allows x-pii and other x- annotations, and draft-04 ids', () => {
    expect(() => compileValidatorCode({ id: 'urn:example:order', type: 'object', 'x-owner': 'team', properties: { a: { type: 'string', 'x-pii': 'hash' } } })).not.toThrow();
  });

  test.each([
    [{ type: 'object', requried: ['a'] }, 'strict mode: unknown keyword: "requried"'],
    [{ type: 'strin' }, 'schema is invalid: data/type must be equal to one of the allowed values'],
    [{ type: 'string', format: 'datetime' }, 'unknown format "datetime"'],
    [{ properties: { a: { $ref: '#/definitions/missing' } } }, "can't resolve reference #/definitions/missing"],
    [{ $schema: 'http://json-schema.org/draft-07/schema#' }, 'no schema with key or ref "http://json-schema.org/draft-07/schema#"'],
  ])('rejects %j', (schema, message) => {
    expect(() => compileValidatorCode(schema)).toThrow(message);
  });
});

describe('generateSchemaBundleSource errors', () => {
  test.each([
    ['no versions', { versions: [] }, 'A schema bundle needs at least one version'],
    ['duplicate versions', { versions: [{ version: '1', schema: v1 }, { version: '1', schema: v2 }] }, 'Duplicate schema versions: ["1"]'],
    ['unknown default', { versions: [{ version: '1', schema: v1 }], defaultVersion: '3' }, 'defaultVersion "3" is not one of the versions ["1"]'],
    ['invalid schema', { versions: [{ version: '1', schema: { type: 'strin' } }] }, 'Schema version "1" does not compile: schema is invalid'],
    ['invalid x-pii', { versions: [{ version: '1', schema: { properties: { a: { 'x-pii': 'mask' } } } }] }, 'x-pii of "a" is "mask"; it must be "hash" or "redact"'],
  ])('%s', (_label, options, message) => {
    expect(() => generateSchemaBundleSource(options as SchemaBundleOptions)).toThrow(message);
  });
});

/** Loads module source from a temp file. */
function loadSource(text: string): SchemaBundle {
  const file = path.join(tmp('schema-bundle-src-'), 'module.js');
  fs.writeFileSync(file, text);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as SchemaBundle;
}
