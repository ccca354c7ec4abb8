import { Annotations, Aspects, CfnResource, IAspect, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** CloudFormation's limit of resources per stack. */
export const CLOUDFORMATION_RESOURCE_LIMIT = 500;
/** Warn from this many resources, while there is still room to move pipelines out. */
const WARN_AT = 400;

const guarded = new WeakSet<Stack>();

/**
 * Warns (at synth) when a stack holding pipelines approaches CloudFormation's 500-resource limit,
 * naming the count and what to do, instead of letting the deploy (or a later synth) fail at 500.
 */
export function guardStackSize(scope: IConstruct): void {
  const stack = Stack.of(scope);
  if (guarded.has(stack)) return;
  guarded.add(stack);
  Aspects.of(stack).add(new StackSizeAspect(stack));
}

class StackSizeAspect implements IAspect {
  private checked = false;
  constructor(private readonly stack: Stack) {}

  public visit(node: IConstruct): void {
    if (this.checked || node !== this.stack) return;
    this.checked = true;
    const count = this.stack.node.findAll().filter((c) => c instanceof CfnResource && Stack.of(c) === this.stack).length;
    if (count >= WARN_AT) {
      Annotations.of(this.stack).addWarningV2(
        'cdk-serverless-etl:stackResourceLimit',
        `${this.stack.stackName} has ${count} resources; CloudFormation allows ${CLOUDFORMATION_RESOURCE_LIMIT} per stack. ` +
          'An EtlPipeline has about 95: put pipelines in separate stacks before adding more.',
      );
    }
  }
}
