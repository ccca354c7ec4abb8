import {
  Assembly,
  AssemblyType,
  constructClassReferences,
  constructClasses,
  missingDeclarations,
  missingTargets,
  undocumented,
  unimplementedInterfaces,
} from '../../scripts/jsii-assembly';

const docs = (summary: string) => ({ summary });

/** A small assembly: a construct with its interface and props, a fragment, a plain class and an enum. */
function assembly(overrides: Record<string, AssemblyType> = {}, targets: Record<string, unknown> = { python: {}, java: {}, dotnet: {} }): Assembly {
  const types: Record<string, AssemblyType> = {
    'lib.IWidget': { kind: 'interface', name: 'IWidget', docs: docs('A widget.'), interfaces: ['constructs.IConstruct'] },
    'lib.Widget': {
      kind: 'class',
      name: 'Widget',
      docs: docs('The widget.'),
      base: 'constructs.Construct',
      interfaces: ['lib.IWidget'],
      properties: [{ name: 'size', docs: docs('Its size.'), type: { primitive: 'number' } }],
    },
    'lib.SpecialWidget': { kind: 'class', name: 'SpecialWidget', docs: docs('A special widget.'), base: 'lib.Widget', interfaces: [] },
    'lib.Fragment': { kind: 'class', name: 'Fragment', docs: docs('A fragment.'), base: 'aws-cdk-lib.aws_stepfunctions.StateMachineFragment' },
    'lib.Helper': { kind: 'class', name: 'Helper', docs: docs('Static helpers.') },
    'lib.Color': { kind: 'enum', name: 'Color', docs: docs('Colors.'), members: [{ name: 'RED', docs: docs('Red.') }] },
    'lib.GadgetProps': {
      kind: 'interface',
      name: 'GadgetProps',
      datatype: true,
      docs: docs('Props of a gadget.'),
      properties: [{ name: 'widget', docs: docs('Its widget.'), type: { fqn: 'lib.IWidget' } }],
    },
    ...overrides,
  };
  return { name: 'lib', targets: { js: { npm: 'lib' }, ...targets }, types };
}

describe('missingDeclarations', () => {
  test('reports an export the assembly lacks and one whose kind differs', () => {
    const exported = new Map([
      ['Widget', 'class'],
      ['IWidget', 'interface'],
      ['Color', 'enum'],
      ['DEFAULT_SIZE', 'other'],
      ['Helper', 'interface'],
    ] as const);
    expect(missingDeclarations(assembly(), exported)).toEqual([
      'DEFAULT_SIZE (a const, function or type alias) is not in the assembly',
      'Helper is an interface in lib/index.ts but a class in the assembly',
    ]);
  });

  test('passes when every export is there as its kind', () => {
    expect(missingDeclarations(assembly(), new Map([['Widget', 'class'], ['Color', 'enum']] as const))).toEqual([]);
  });
});

test('missingTargets names each required language without a target', () => {
  expect(missingTargets(assembly({}, { python: { module: 'lib' } }), ['python', 'java', 'dotnet'])).toEqual([
    'the assembly declares no java target',
    'the assembly declares no dotnet target',
  ]);
  expect(missingTargets(assembly(), ['python', 'java', 'dotnet'])).toEqual([]);
});

test('constructClasses: classes whose base chain reaches constructs or aws-cdk-lib, not plain classes', () => {
  expect([...constructClasses(assembly())].sort()).toEqual(['lib.Fragment', 'lib.SpecialWidget', 'lib.Widget']);
});

describe('constructClassReferences', () => {
  test('passes when props and members take the interface', () => {
    expect(constructClassReferences(assembly())).toEqual([]);
  });

  test('reports a prop, a member, a parameter and a result typed by a construct class, in arrays and unions too', () => {
    const found = constructClassReferences(
      assembly({
        'lib.GadgetProps': {
          kind: 'interface',
          name: 'GadgetProps',
          datatype: true,
          properties: [
            { name: 'widget', type: { fqn: 'lib.Widget' } },
            { name: 'spares', type: { collection: { kind: 'array', elementtype: { fqn: 'lib.SpecialWidget' } } } },
            { name: 'either', type: { union: { types: [{ primitive: 'string' }, { fqn: 'lib.Fragment' }] } } },
            { name: 'helper', type: { fqn: 'lib.Helper' } },
          ],
        },
        'lib.Gadget': {
          kind: 'class',
          name: 'Gadget',
          base: 'constructs.Construct',
          initializer: { parameters: [{ name: 'widget', type: { fqn: 'lib.Widget' } }] },
          methods: [{ name: 'widgetOf', parameters: [{ name: 'id', type: { primitive: 'string' } }], returns: { type: { fqn: 'lib.Widget' } } }],
        },
      }),
    );
    expect(found).toEqual([
      'GadgetProps.widget is typed by the class Widget; type it as IWidget',
      'GadgetProps.spares is typed by the class SpecialWidget; add an interface ISpecialWidget (IConstruct and the members consumers use) that SpecialWidget implements, and type it so',
      'GadgetProps.either is typed by the class Fragment; add an interface IFragment (IConstruct and the members consumers use) that Fragment implements, and type it so',
      'Gadget.constructor(widget) is typed by the class Widget; type it as IWidget',
      'Gadget.widgetOf() result is typed by the class Widget; type it as IWidget',
    ]);
  });
});

test('unimplementedInterfaces: an I-interface its class does not implement', () => {
  expect(unimplementedInterfaces(assembly())).toEqual([]);
  const widget = assembly().types!['lib.Widget'];
  expect(unimplementedInterfaces(assembly({ 'lib.Widget': { ...widget, interfaces: [] } }))).toEqual(['Widget does not implement IWidget']);
});

test('undocumented: types, properties, methods and enum members without a summary', () => {
  expect(undocumented(assembly())).toEqual([]);
  const found = undocumented(
    assembly({
      'lib.Helper': { kind: 'class', name: 'Helper', methods: [{ name: 'latest', docs: docs('The latest.') }, { name: 'oldest' }] },
      'lib.Color': { kind: 'enum', name: 'Color', docs: docs('Colors.'), members: [{ name: 'RED' }] },
      'lib.GadgetProps': { kind: 'interface', name: 'GadgetProps', datatype: true, docs: docs('Props.'), properties: [{ name: 'widget', type: { fqn: 'lib.IWidget' } }] },
    }),
  );
  expect(found).toEqual(['Helper', 'Helper.oldest', 'Color.RED', 'GadgetProps.widget']);
});
