import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { SchemaRegistry, SchemaRegistryProps } from '../../lib/schema/schema-registry';
import type { SchemaBundle } from '../../lib/contract/schema-bundle';
import { testStack } from '../support/cdk';
import { ownTemplate } from '../support/construct-snapshot';
import { CLICKSTREAM_V1, CLICKSTREAM_V2, CLICKSTREAM_V2_BREAKING, fixture, readJson, sampleEvents } from './schema-fixtures';

const CLICKSTREAM = [
  { version: '1', file: CLICKSTREAM_V1 },
  { version: '2', file: CLICKSTREAM_V2 },
];

function synth(props: SchemaRegistryProps): { stack: Stack; registry: SchemaRegistry; template: Template } {
  const stack = testStack();
  const registry = new SchemaRegistry(stack, 'Registry', props);
  return { stack, registry, template: Template.fromStack(stack) };
}

/** The message of the error `new SchemaRegistry(props)` throws. */
function propsError(props: SchemaRegistryProps): string {
  try {
    new SchemaRegistry(testStack(), 'Registry', props);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('SchemaRegistry did not throw');
}

type SchemaResource = { Properties: Record<string, string>; DependsOn?: string[] };

describe('SchemaRegistry', () => {
  const { stack, registry, template } = synth({ schemas: CLICKSTREAM });
  const registryId = stack.getLogicalId(registry.registry);
  const schemas = template.findResources('AWS::EventSchemas::Schema') as Record<string, SchemaResource>;
  const byVersion = (version: string) => schemas[stack.getLogicalId(registry.schemaResources[registry.versions.indexOf(version)])];

  test('matches the snapshot', () => {
    expect(ownTemplate(registry)).toMatchSnapshot();
  });

  test('creates one registry and one JSONSchemaDraft4 schema per version', () => {
    template.resourceCountIs('AWS::EventSchemas::Registry', 1);
    template.resourceCountIs('AWS::EventSchemas::Schema', 2);
    template.hasResourceProperties('AWS::EventSchemas::Registry', {
      RegistryName: registry.registryName,
      Description: 'Record schemas of TestStack/Registry',
    });
    expect(Object.keys(schemas)).toHaveLength(2);
  });

  test.each([
    ['1', CLICKSTREAM_V1],
    ['2', CLICKSTREAM_V2],
  ])('version %s: content is the schema file as JSON, named <registry>-v<version>, after the registry', (version, file) => {
    const schema = byVersion(version);
    expect(schema.Properties).toEqual({
      RegistryName: registry.registryName,
      SchemaName: `${registry.registryName}-v${version}`,
      Type: 'JSONSchemaDraft4',
      Content: JSON.stringify(readJson(file)),
      Description: `Version ${version} of the record schema (${path.basename(file)})`,
    });
    expect(JSON.parse(schema.Properties.Content)).toEqual(readJson(file));
    expect(schema.DependsOn).toEqual([registryId]);
  });

  test('generates a valid, deterministic registry name from the construct path', () => {
    expect(registry.registryName).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
    expect(registry.registryName).toContain('Registry');
    expect(synth({ schemas: CLICKSTREAM }).registry.registryName).toBe(registry.registryName);
  });

  test('exposes the versions, the version field, the default and latest versions', () => {
    expect(registry.versions).toEqual(['1', '2']);
    expect(registry.latestVersion).toBe('2');
    expect(registry.defaultVersion).toBe('2');
    expect(registry.versionField).toBe('schemaVersion');
    expect(registry.hasHashedFields).toBe(true);
    expect(stack.resolve(registry.registryArn)).toEqual({ 'Fn::GetAtt': [registryId, 'RegistryArn'] });
  });

  test('uses the given name, version field, default version and description', () => {
    const { registry: custom, template: t } = synth({
      // Two versions of one file: a version field other than schemaVersion leaves its enum checked.
      schemas: [
        { version: '1', file: CLICKSTREAM_V1 },
        { version: '2', file: CLICKSTREAM_V1 },
      ],
      registryName: 'clickstream.events',
      versionField: 'v',
      defaultVersion: '1',
      description: 'Clickstream events',
    });
    expect([custom.registryName, custom.versionField, custom.defaultVersion, custom.latestVersion]).toEqual([
      'clickstream.events',
      'v',
      '1',
      '2',
    ]);
    t.hasResourceProperties('AWS::EventSchemas::Registry', { RegistryName: 'clickstream.events', Description: 'Clickstream events' });
    t.hasResourceProperties('AWS::EventSchemas::Schema', { SchemaName: 'clickstream.events-v1', RegistryName: 'clickstream.events' });
  });

  test('marksPii: whether a version marks a top-level field x-pii (either action)', () => {
    const redactOnly = synth({ schemas: [{ version: '1', file: fixture('redact-only.json') }] }).registry;
    expect(redactOnly.marksPii('customerEmail')).toBe(true);
    expect(redactOnly.marksPii('orderId')).toBe(false);
    expect(registry.marksPii('userId')).toBe(true);
  });

  test('hasHashedFields is false when no version hashes a field', () => {
    expect(synth({ schemas: [{ version: '1', file: fixture('redact-only.json') }] }).registry.hasHashedFields).toBe(false);
  });

  test('resolves relative schema paths from the current directory', () => {
    const relative = path.relative(process.cwd(), CLICKSTREAM_V1);
    expect(path.isAbsolute(relative)).toBe(false);
    expect(synth({ schemas: [{ version: '1', file: relative }] }).registry.versions).toEqual(['1']);
  });

  test('no warnings for compatible versions', () => {
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  describe('bundle()', () => {
    const file = registry.bundle();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(file) as SchemaBundle;

    test('writes the validator module once and returns its absolute path', () => {
      expect(path.isAbsolute(file)).toBe(true);
      expect(fs.existsSync(file)).toBe(true);
      fs.rmSync(file);
      expect(registry.bundle()).toBe(file); // memoized: not written again
      expect(fs.existsSync(file)).toBe(false);
      // A registry with the same inputs generates the same file.
      expect(synth({ schemas: CLICKSTREAM }).registry.bundle()).toBe(file);
      expect(fs.existsSync(file)).toBe(true);
    });

    test('the module carries the version field, the default version, and each version', () => {
      expect(mod.versionField).toBe('schemaVersion');
      expect(mod.defaultVersion).toBe('2');
      expect(Object.keys(mod.versions)).toEqual(['1', '2']);
      expect(mod.versions['1'].pii.map((f) => f.path.join('.'))).toEqual(['userId', 'email', 'ip']);
      const event = sampleEvents()[0];
      expect(mod.versions['1'].validate(event)).toBe(true);
      expect(mod.versions['2'].validate(event)).toBe(false);
      expect(mod.versions['2'].validate.errors).toEqual([expect.objectContaining({ instancePath: '/schemaVersion', keyword: 'enum' })]);
    });

    test('the module follows the props', () => {
      const custom = synth({ schemas: [{ version: '1', file: CLICKSTREAM_V1 }], versionField: 'v', defaultVersion: '1' }).registry.bundle();
      expect(custom).not.toBe(file);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const m = require(custom) as SchemaBundle;
      expect([m.versionField, m.defaultVersion]).toEqual(['v', '1']);
    });
  });
});

describe('SchemaRegistry backward compatibility', () => {
  const breaking = [
    { version: '1', file: CLICKSTREAM_V1 },
    { version: '2', file: CLICKSTREAM_V2_BREAKING },
  ];
  const BREAKS = [
    'schemas[1] (version 2) breaks version 1: property "sessionId" removed',
    'schemas[1] (version 2) breaks version 1: property "page" type changed from object to string',
    'schemas[1] (version 2) breaks version 1: required property "channel" added',
  ];

  test('a breaking version fails with every break', () => {
    expect(propsError({ schemas: breaking })).toBe(
      `Invalid SchemaRegistry (TestStack/Registry) props:\n${BREAKS.map((b) => `  - ${b}`).join('\n')}`,
    );
  });

  test('only consecutive versions are compared', () => {
    // v2-breaking → v1 → v2: v1 breaks v2-breaking (channel removed, page retyped), v2 is compatible with v1.
    const message = propsError({
      schemas: [
        { version: '0', file: CLICKSTREAM_V2_BREAKING },
        { version: '1', file: CLICKSTREAM_V1 },
        { version: '2', file: CLICKSTREAM_V2 },
      ],
    });
    expect(message.split('\n').slice(1)).toEqual([
      '  - schemas[1] (version 1) breaks version 0: property "page" type changed from string to object',
      '  - schemas[1] (version 1) breaks version 0: property "channel" removed',
      '  - schemas[1] (version 1) breaks version 0: required property "sessionId" added',
    ]);
  });

  test('with allowBreakingChanges, each break is a warning instead', () => {
    const { stack, registry } = synth({ schemas: breaking, allowBreakingChanges: true });
    expect(registry.versions).toEqual(['1', '2']);
    const warnings = Annotations.fromStack(stack).findWarning('/TestStack/Registry', Match.anyValue());
    expect(warnings.map((w) => w.entry.data)).toEqual(
      BREAKS.map(
        (b) =>
          `${b} (allowed by allowBreakingChanges: readers of older records must handle this change) ` +
          '[ack: cdk-serverless-etl:breakingSchemaChange]',
      ),
    );
  });
});

describe('SchemaRegistry props validation', () => {
  test('no schemas', () => {
    expect(propsError({ schemas: [] })).toBe(
      'Invalid SchemaRegistry (TestStack/Registry) props:\n  - schemas is empty; it must list at least one schema version, oldest first',
    );
  });

  test('every problem with the versions, the files and the other props in one error', () => {
    const files = {
      missing: fixture('does-not-exist.json'),
      notJson: fixture('not-json.json'),
      draft07: fixture('draft-07.json'),
      badPii: fixture('bad-pii.json'),
      invalid: fixture('invalid-schema.json'),
      array: fixture('array.json'),
      dir: fixture('.'),
    };
    const message = propsError({
      schemas: [
        { version: '1', file: CLICKSTREAM_V1 },
        { version: '1', file: files.missing },
        { version: 'v 3', file: files.notJson },
        { version: '4', file: files.draft07 },
        { version: '5', file: files.badPii },
        { version: '6', file: files.invalid },
        { version: '7', file: files.array },
        { version: '8', file: files.dir },
        { version: '9', file: '' },
        { version: undefined as unknown as string, file: CLICKSTREAM_V1 },
      ],
      registryName: 'my registry',
      versionField: '',
      defaultVersion: '10',
      description: 'x'.repeat(257),
    });
    const j = JSON.stringify;
    expect(message.split('\n')).toEqual([
      'Invalid SchemaRegistry (TestStack/Registry) props:',
      '  - schemas[1].version is "1"; versions must be unique (schemas[0] has it too)',
      `  - schemas[1].file is ${j(files.missing)}; the file does not exist`,
      `  - schemas[2].version is "v 3"; it must be 1 to 32 letters, digits, '.', '_' or '-'`,
      expect.stringMatching(new RegExp(`^  - schemas\\[2\\]\\.file \\(${escape(j(files.notJson))}\\) is not valid JSON: .+`)),
      `  - schemas[3].file (${j(files.draft07)}) declares $schema "http://json-schema.org/draft-07/schema#"; ` +
        'it must be JSON Schema draft-04 ("http://json-schema.org/draft-04/schema#"), the draft EventBridge schemas (JSONSchemaDraft4) and the runtime validator use',
      `  - schemas[4].file (${j(files.badPii)}): x-pii of "ip" is "encrypt"; it must be "hash" or "redact"`,
      `  - schemas[4].file (${j(files.badPii)}): x-pii of "contact.email" is "mask"; it must be "hash" or "redact"`,
      `  - schemas[5].file (${j(files.invalid)}) is not a valid draft-04 schema: strict mode: unknown keyword: "requried"`,
      `  - schemas[6].file (${j(files.array)}) is not a JSON Schema: its top level must be a JSON object`,
      `  - schemas[7].file is ${j(files.dir)}; it is a directory`,
      '  - schemas[8].file is ""; it must be the path of a JSON Schema file',
      '  - schemas[9].version is undefined; it must be a string',
      `  - registryName is "my registry"; it must be 1 to 64 letters, digits, '.', '_' or '-'`,
      '  - versionField is ""; it must name a top-level record field (a literal string: it is compiled into the validator module at synth)',
      '  - defaultVersion is "10"; it must be one of the versions "1", "v 3", "4", "5", "6", "7", "8", "9"',
      '  - description is 257 characters long; it must be at most 256',
    ]);
  });

  test('a schema that fails the draft-04 meta-schema names the offending keyword', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'schema-registry-'));
    const file = path.join(dir, 'bad-type.json');
    fs.writeFileSync(file, JSON.stringify({ type: 'object', properties: { id: { type: 'strin' } } }));
    const message = propsError({ schemas: [{ version: '1', file }] });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(message).toContain(
      `schemas[0].file (${JSON.stringify(file)}) is not a valid draft-04 schema: schema is invalid: data/properties/id/type must be equal to one of the allowed values`,
    );
  });

  test('a bad file does not hide a break between the versions that loaded', () => {
    const message = propsError({
      schemas: [
        { version: '1', file: CLICKSTREAM_V1 },
        { version: '2', file: CLICKSTREAM_V2_BREAKING },
        { version: '3', file: fixture('does-not-exist.json') },
      ],
    });
    expect(message).toContain('schemas[1] (version 2) breaks version 1: property "sessionId" removed');
    expect(message).toContain('schemas[2].file is');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
