import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { isLibraryConstruct } from './construct-snapshot';

/** A path below `root` ('' for root itself). */
function relativePath(root: IConstruct, construct: IConstruct): string {
  return construct.node.path.slice(root.node.path.length + 1);
}

/** The library construct of `root`'s subtree that owns `construct`: the nearest one above it (root included). */
function ownerOf(root: IConstruct, construct: IConstruct): IConstruct {
  let c: IConstruct | undefined = construct;
  while (c && c !== root && !isLibraryConstruct(c)) c = c.node.scope;
  return c ?? root;
}

/**
 * Every library construct of `root`'s subtree that has resources (not a state-machine fragment,
 * which is states of its construct's state machine), root excluded, as `path: Class` (paths
 * relative to root), sorted.
 */
export function libraryConstructs(root: IConstruct): string[] {
  return root.node
    .findAll()
    .filter((c) => c !== root && isLibraryConstruct(c) && c.node.findAll().some((r) => r instanceof CfnElement))
    .map((c) => `${relativePath(root, c)}: ${c.constructor.name}`)
    .sort();
}

/** The logical ids named by `Ref`, `Fn::GetAtt` and `Fn::Sub` anywhere in `value`. */
function referencedIds(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => referencedIds(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Ref' && typeof v === 'string') out.add(v);
      else if (k === 'Fn::GetAtt') out.add(String(Array.isArray(v) ? v[0] : String(v).split('.')[0]));
      else if (k === 'Fn::Sub') {
        const text = Array.isArray(v) ? String(v[0]) : String(v);
        for (const m of text.matchAll(/\$\{([^}!.]+)[^}]*\}/g)) out.add(m[1]);
        if (Array.isArray(v)) referencedIds(v[1], out);
      } else referencedIds(v, out);
    }
  }
  return out;
}

/**
 * How the library constructs of `root`'s subtree are wired: one `A -> B` per pair where a resource
 * or output of A refers (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `DependsOn`) to a resource of B; A and B
 * are paths relative to `root` ('.' for root's own resources). Sorted, each pair once.
 */
export function constructReferences(root: IConstruct): string[] {
  const stack = Stack.of(root);
  const owners = new Map<string, string>();
  for (const c of root.node.findAll()) {
    if (c instanceof CfnElement) owners.set(stack.resolve(c.logicalId) as string, relativePath(root, ownerOf(root, c)) || '.');
  }
  const template = Template.fromStack(stack).toJSON() as Record<string, Record<string, Record<string, unknown>> | undefined>;
  const edges = new Set<string>();
  for (const section of ['Resources', 'Outputs']) {
    for (const [id, entry] of Object.entries(template[section] ?? {})) {
      const from = owners.get(id);
      if (from === undefined) continue;
      const ids = referencedIds(entry);
      for (const dep of [entry.DependsOn ?? []].flat()) ids.add(String(dep));
      for (const target of ids) {
        const to = owners.get(target);
        if (to !== undefined && to !== from) edges.add(`${from} -> ${to}`);
      }
    }
  }
  return [...edges].sort();
}
