import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Template as LocalTemplate } from '../../local/template/cloud-assembly';
import { LocalReferences } from '../../local/template/references';
import { allStates, type Json } from '../../local/services/state-machine';
import { readLocalResources } from '../../local/template/template-resources';
import { resolveDefinition } from '../../local/run/workflows';
import { TEST_ENV } from './cdk';

// State machines of a synthesized stack, read and resolved by the local runner's own modules.

/**
 * A stack as the local runner reads it (its resources, and `Ref`/`Fn::GetAtt` answered as in
 * {@link TEST_ENV}); `bucketNames` names chosen buckets by logical id.
 */
export function localStack(stack: Stack, bucketNames: Record<string, string> = {}) {
  const template = Template.fromStack(stack).toJSON() as LocalTemplate;
  const read = readLocalResources(template, stack.stackName);
  const resources = { ...read, buckets: read.buckets.map((b) => ({ ...b, name: bucketNames[b.logicalId] ?? b.name })) };
  return { resources, refs: new LocalReferences(template, resources, TEST_ENV) };
}

/** The definition of each state machine of a stack, by logical id, resolved as the local runner resolves it. */
export function stateMachineDefinitions(stack: Stack, bucketNames: Record<string, string> = {}): Record<string, Json> {
  const { resources, refs } = localStack(stack, bucketNames);
  return Object.fromEntries(resources.stateMachines.map((machine) => [machine.logicalId, resolveDefinition(machine, { refs })]));
}

/** The definition of a stack's one state machine (see {@link stateMachineDefinitions}). */
export function definitionOf(stack: Stack, bucketNames: Record<string, string> = {}): Json {
  const definitions = Object.values(stateMachineDefinitions(stack, bucketNames));
  if (definitions.length !== 1) throw new Error(`${stack.node.path} has ${definitions.length} state machines, not one`);
  return definitions[0];
}

/** Every state of a definition by name, those of Map item processors and Parallel branches included. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function statesByName(definition: Json): Record<string, Record<string, any>> {
  return Object.fromEntries(allStates(definition).map(({ name, state }) => [name, state]));
}
