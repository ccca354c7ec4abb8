import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct, IConstruct } from 'constructs';
import * as lib from '../../lib';
import { SnapshotTemplate } from '../../lib/testing/snapshot-template';

type Json = Record<string, unknown>;

/** The library's public construct classes: each has a snapshot of its own. */
const LIBRARY_CONSTRUCTS = (Object.values(lib) as unknown[]).filter(
  (value): value is abstract new (...args: never[]) => Construct => typeof value === 'function' && value.prototype instanceof Construct,
);

/** Whether `construct` is an instance of one of the library's public construct classes. */
export function isLibraryConstruct(construct: IConstruct): boolean {
  return LIBRARY_CONSTRUCTS.some((cls) => construct instanceof cls);
}

/**
 * The CloudFormation elements `construct` creates itself: those of its subtree, less the subtrees
 * of the library constructs it composes (their snapshots cover them).
 */
export function ownElements(construct: IConstruct): CfnElement[] {
  const out: CfnElement[] = [];
  const walk = (c: IConstruct) => {
    if (c instanceof CfnElement) out.push(c);
    for (const child of c.node.children) if (!isLibraryConstruct(child)) walk(child);
  };
  walk(construct);
  return out;
}

/**
 * The part of a stack's template that `construct` creates itself (see {@link ownElements}), with
 * content hashes replaced by {@link SnapshotTemplate}: a construct's snapshot covers its own
 * resources and outputs only, so a change to one construct rewrites one snapshot. How constructs
 * are composed and wired is asserted where they are composed.
 */
export function ownTemplate(construct: IConstruct): Json {
  const stack = Stack.of(construct);
  const ids = new Set(ownElements(construct).map((e) => stack.resolve(e.logicalId) as string));
  const template = Template.fromStack(stack).toJSON() as Record<string, Record<string, unknown> | undefined>;
  const out: Json = {};
  for (const section of ['Conditions', 'Mappings', 'Parameters', 'Resources', 'Outputs']) {
    const entries = Object.entries(template[section] ?? {}).filter(([id]) => ids.has(id));
    if (entries.length > 0) out[section] = Object.fromEntries(entries);
  }
  return SnapshotTemplate.fromJson(out);
}
