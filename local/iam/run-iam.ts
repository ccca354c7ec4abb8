/**
 * IAM for one local run, in one place: the app's policies read from the cloud assembly, the
 * authorizer in the run's mode, and the hooks the run installs — the front door's interceptor (the
 * functions' SDK calls), the event source mappings' polling, the state machines' tasks and the
 * rules' deliveries.
 */
import type { AssemblyStack } from '../template/cloud-assembly';
import type { FrontDoorInterceptor } from '../services/front-door/front-door';
import type { DeliveryGuard, ProvisionedStack } from '../run/provision';
import { environmentOf, LocalReferences } from '../template/references';
import type { TaskServices } from '../services/state-machine';
import { readLocalResources, type LocalFunction } from '../template/template-resources';
import type { MappingPolling } from '../run/wiring';
import type { PreparedStateMachine } from '../run/workflows';
import { readAppPolicies } from './app-policies';
import { IamAuthorizer, type IamMode, type IamReport } from './authorizer';
import { iamInterceptor } from './iam-interceptor';
import { authorizeDelivery, guardTaskServices, isRefusal, mappingClients } from './in-process';
import { ResourceDirectory } from './resource-directory';

/** The IAM hooks of a run. */
export interface RunIam {
  readonly authorizer: IamAuthorizer;
  /** The front door's interceptors (none when IAM is off). */
  readonly interceptors: FrontDoorInterceptor[];
  /** Authorizes rule deliveries (give it to `provisionStack`). */
  readonly authorizeDelivery: DeliveryGuard;
  /** How event source mappings poll (give it to `mappingRunners`). */
  readonly polling: MappingPolling;
  /** A state machine's task services, as its role (give it to `registerStateMachines`). */
  guardTaskServices(machine: PreparedStateMachine, services: TaskServices): TaskServices;
  /** Learns a provisioned stack's names and URLs. */
  addStack(stack: ProvisionedStack): void;
  /** The execution role ARN of a function, for its front-door credentials. */
  roleOf(stack: ProvisionedStack, fn: LocalFunction): string | undefined;
  report(): IamReport;
}

/** Reads the app's policies from the assembly's stacks and prepares the hooks for `mode`. */
export function runIam(stacks: readonly AssemblyStack[], mode: IamMode): RunIam {
  const sources = stacks.map((stack) => {
    const resources = readLocalResources(stack.template, stack.name);
    return { name: stack.name, template: stack.template, resources, refs: new LocalReferences(stack.template, resources, environmentOf(stack)) };
  });
  const policies = readAppPolicies(sources);
  const authorizer = new IamAuthorizer(policies, mode);
  const directory = new ResourceDirectory(policies.encryption);
  return {
    authorizer,
    interceptors: authorizer.active ? [iamInterceptor(authorizer, directory)] : [],
    authorizeDelivery: (delivery) => authorizeDelivery(authorizer, directory, delivery),
    polling: {
      clients: (started, label, clients) => mappingClients(authorizer, directory, started.stack.refs.arnOf(started.fn.logicalId), started.fn.name, label, clients),
      refused: (error, label) => {
        if (!isRefusal(error)) return false;
        authorizer.recordBlocked(`${label}: ${error.refusal.check.action} refused, the records stay in the source`);
        return true;
      },
    },
    guardTaskServices: (machine, services) =>
      guardTaskServices(
        authorizer,
        directory,
        { arn: machine.stack.refs.arnOf(machine.resource.logicalId), path: machine.resource.path, environment: { account: machine.stack.refs.account, region: machine.stack.refs.region } },
        services,
      ),
    addStack: (stack) => directory.addStack(stack),
    roleOf: (stack, fn) => policies.functionRoles.get(stack.refs.arnOf(fn.logicalId)),
    report: () => authorizer.report(),
  };
}
