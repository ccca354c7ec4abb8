import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { TransformFunction, TransformFunctionProps } from '../../lib/transform/transform-function';
import { CLICKSTREAM_TRANSFORM } from '../support/cdk';

/** Shared helpers of the observability and governance construct tests. */

export type Resource = { Type: string; Properties: Record<string, unknown> };

/** A real TransformFunction (clickstream transform, plain S3 buckets) of pipeline `orders`. */
export function transformFunction(stack: Stack, props: Partial<TransformFunctionProps> = {}): TransformFunction {
  return new TransformFunction(stack, 'Transform', {
    transformEntry: CLICKSTREAM_TRANSFORM,
    pipelineName: 'orders',
    curatedBucket: new s3.Bucket(stack, 'Curated'),
    quarantineBucket: new s3.Bucket(stack, 'Quarantine'),
    ...props,
  });
}

/** The logical id of a construct's CloudFormation resource (itself, or its default child). */
export function logicalId(construct: IConstruct): string {
  const cfn = construct.node.defaultChild ?? construct;
  return Stack.of(construct).getLogicalId(cfn as never);
}

/** The template's resources of one type, by logical id. */
export function resourcesOfType(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

/** The properties of the resource behind a construct. */
export function propsOf(template: Template, construct: IConstruct): Record<string, unknown> {
  const resource = (template.toJSON().Resources as Record<string, Resource>)[logicalId(construct)];
  if (!resource) throw new Error(`no resource for ${construct.node.path}`);
  return resource.Properties;
}

/**
 * Renders a CloudFormation value to a string: `Fn::Join` pieces are concatenated, `Ref` becomes
 * `{Ref:<id>}` and `Fn::GetAtt` becomes `{<id>.<attr>}`.
 */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  const v = value as Record<string, unknown>;
  if (v && 'Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(sep);
  }
  if (v && 'Ref' in v) return `{Ref:${String(v.Ref)}}`;
  if (v && 'Fn::GetAtt' in v) return `{${(v['Fn::GetAtt'] as string[]).join('.')}}`;
  return JSON.stringify(value);
}

/** A metric-math query of an alarm's `Metrics`. */
export interface MetricDataQuery {
  Id: string;
  Expression?: string;
  Label?: string;
  ReturnData?: boolean;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: unknown }> };
    Period: number;
    Stat: string;
  };
}

/** The metric-math queries of an alarm, by id. */
export function queriesOf(alarmProps: Record<string, unknown>): Record<string, MetricDataQuery> {
  const metrics = alarmProps.Metrics as MetricDataQuery[] | undefined;
  if (!metrics) throw new Error('not a metric-math alarm');
  return Object.fromEntries(metrics.map((m) => [m.Id, m]));
}

/** The query whose value the alarm compares (ReturnData true). */
export function returnedQuery(alarmProps: Record<string, unknown>): MetricDataQuery {
  const returned = Object.values(queriesOf(alarmProps)).filter((q) => q.ReturnData === true);
  expect(returned).toHaveLength(1);
  return returned[0];
}

/** The `ServerlessEtl` dimensions of a pipeline stage, exactly. */
export function pipelineDimensions(pipeline = 'orders', stage = 'transform') {
  return [
    { Name: 'Pipeline', Value: pipeline },
    { Name: 'Stage', Value: stage },
  ];
}

/** The dimensions of a metric of the transform's `live` alias. */
export function aliasDimensions(fn: TransformFunction) {
  const fnId = logicalId(fn.function);
  return [
    { Name: 'FunctionName', Value: { Ref: fnId } },
    { Name: 'Resource', Value: { 'Fn::Join': ['', [{ Ref: fnId }, ':live']] } },
  ];
}

/** `[{ Ref: <topic> }]`, the actions of an alarm routed to the topic. */
export function topicActions(topic: IConstruct) {
  return [{ Ref: logicalId(topic) }];
}
