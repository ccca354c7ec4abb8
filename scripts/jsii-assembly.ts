/**
 * Checks of a jsii assembly (the `.jsii` file jsii writes) beyond "it compiled", used by
 * `scripts/check-jsii.ts`. Each check returns its problems as sentences; none means it passed.
 */

/** A reference to a type in the assembly: a primitive, a named type, or a collection or union of them. */
export interface TypeReference {
  readonly primitive?: string;
  readonly fqn?: string;
  readonly collection?: { readonly kind: string; readonly elementtype: TypeReference };
  readonly union?: { readonly types: TypeReference[] };
  readonly intersection?: { readonly types: TypeReference[] };
}

/** Documentation of a type or member. */
export interface Docs {
  readonly summary?: string;
}

/** A parameter of a method or initializer. */
export interface Parameter {
  readonly name: string;
  readonly type: TypeReference;
}

/** A method or initializer. */
export interface Callable {
  readonly name?: string;
  readonly docs?: Docs;
  readonly parameters?: Parameter[];
  readonly returns?: { readonly type: TypeReference };
}

/** A property of a class, interface or struct. */
export interface Property {
  readonly name: string;
  readonly docs?: Docs;
  readonly type: TypeReference;
}

/** A type of the assembly (the parts the checks read). */
export interface AssemblyType {
  readonly kind: 'class' | 'interface' | 'enum';
  readonly name: string;
  readonly namespace?: string;
  readonly docs?: Docs;
  readonly base?: string;
  readonly interfaces?: string[];
  readonly datatype?: boolean;
  readonly initializer?: Callable;
  readonly properties?: Property[];
  readonly methods?: Callable[];
  readonly members?: Array<{ readonly name: string; readonly docs?: Docs }>;
}

/** A jsii assembly (the parts the checks read). */
export interface Assembly {
  readonly name: string;
  readonly targets?: Record<string, unknown>;
  readonly types?: Record<string, AssemblyType>;
}

/** What a name exported by the entry point is, as TypeScript sees it. */
export type DeclarationKind = 'class' | 'interface' | 'enum' | 'other';

/**
 * Exported names the assembly lacks, or has as another kind (a class exported but an interface in
 * the assembly). jsii leaves out, without an error, what it cannot represent: top-level consts and
 * functions, type aliases.
 */
export function missingDeclarations(assembly: Assembly, exported: ReadonlyMap<string, DeclarationKind>): string[] {
  const topLevel = new Map(Object.values(assembly.types ?? {}).filter((t) => !t.namespace).map((t) => [t.name, t.kind]));
  const problems: string[] = [];
  for (const [name, kind] of [...exported].sort(([a], [b]) => a.localeCompare(b))) {
    const inAssembly = topLevel.get(name);
    if (inAssembly === undefined) problems.push(`${name} (a ${kind === 'other' ? 'const, function or type alias' : kind}) is not in the assembly`);
    else if (kind !== 'other' && inAssembly !== kind) problems.push(`${name} is ${article(kind)} ${kind} in lib/index.ts but ${article(inAssembly)} ${inAssembly} in the assembly`);
  }
  return problems;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

/** Targets among `required` (python, java, dotnet, …) that the assembly does not declare. */
export function missingTargets(assembly: Assembly, required: readonly string[]): string[] {
  return required.filter((target) => !assembly.targets?.[target]).map((target) => `the assembly declares no ${target} target`);
}

/**
 * The assembly's own classes that are constructs: their base chain leaves the assembly at a class
 * of `constructs` or `aws-cdk-lib` (`Construct`, `StateMachineFragment`; every class of those the
 * library extends is a construct).
 */
export function constructClasses(assembly: Assembly): Set<string> {
  const types = assembly.types ?? {};
  const isConstruct = (fqn: string, seen = new Set<string>()): boolean => {
    const type = types[fqn];
    if (!type) return fqn.startsWith('constructs.') || fqn.startsWith('aws-cdk-lib.');
    if (type.kind !== 'class' || !type.base || seen.has(fqn)) return false;
    return isConstruct(type.base, seen.add(fqn));
  };
  return new Set(Object.keys(types).filter((fqn) => types[fqn].kind === 'class' && isConstruct(fqn)));
}

/** Every fqn a type reference names, through collections, unions and intersections. */
function namedTypes(ref: TypeReference): string[] {
  if (ref.fqn) return [ref.fqn];
  if (ref.collection) return namedTypes(ref.collection.elementtype);
  return [...(ref.union?.types ?? []), ...(ref.intersection?.types ?? [])].flatMap(namedTypes);
}

/**
 * Props, members, parameters and results typed by one of the library's construct classes instead
 * of its interface (`transform: TransformFunction` instead of `ITransformFunction`), as aws-cdk-lib
 * L2s take and expose `IBucket`, never `Bucket`: a class type shuts out other implementations
 * (an imported or wrapped construct) and, for Python, Java and .NET, ties the API to the class.
 */
export function constructClassReferences(assembly: Assembly): string[] {
  const types = assembly.types ?? {};
  const constructs = constructClasses(assembly);
  const problems: string[] = [];
  const check = (where: string, ref: TypeReference | undefined) => {
    for (const fqn of ref ? namedTypes(ref) : []) {
      if (!constructs.has(fqn)) continue;
      const name = types[fqn].name;
      const iface = `${fqn.slice(0, fqn.length - name.length)}I${name}`;
      const fix = types[iface] ? `type it as I${name}` : `add an interface I${name} (IConstruct and the members consumers use) that ${name} implements, and type it so`;
      problems.push(`${where} is typed by the class ${name}; ${fix}`);
    }
  };
  for (const type of Object.values(types)) {
    for (const property of type.properties ?? []) check(`${type.name}.${property.name}`, property.type);
    const callables = [...(type.initializer ? [{ ...type.initializer, name: 'constructor' }] : []), ...(type.methods ?? [])];
    for (const callable of callables) {
      for (const parameter of callable.parameters ?? []) check(`${type.name}.${callable.name}(${parameter.name})`, parameter.type);
      check(`${type.name}.${callable.name}() result`, callable.returns?.type);
    }
  }
  return problems;
}

/** Interfaces `I<Name>` of the assembly that its class `<Name>` does not implement. */
export function unimplementedInterfaces(assembly: Assembly): string[] {
  const types = assembly.types ?? {};
  return Object.entries(types)
    .filter(([, type]) => type.kind === 'interface' && !type.datatype && /^I[A-Z]/.test(type.name))
    .flatMap(([fqn, type]) => {
      const classFqn = `${fqn.slice(0, fqn.length - type.name.length)}${type.name.slice(1)}`;
      const cls = types[classFqn];
      return cls?.kind === 'class' && !(cls.interfaces ?? []).includes(fqn) ? [`${cls.name} does not implement ${type.name}`] : [];
    });
}

/** Types and members without a TSDoc summary (Python, Java and .NET users read these docs). */
export function undocumented(assembly: Assembly): string[] {
  const problems: string[] = [];
  for (const type of Object.values(assembly.types ?? {})) {
    if (!type.docs?.summary) problems.push(type.name);
    const members = [...(type.properties ?? []), ...(type.methods ?? []), ...(type.members ?? [])];
    for (const member of members) if (!member.docs?.summary) problems.push(`${type.name}.${member.name}`);
  }
  return problems;
}
