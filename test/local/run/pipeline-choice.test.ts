import { belongsTo, choosePipeline, pipelinesOf } from '../../../local/run/pipeline-choice';
import type { ProvisionedStack } from '../../../local/run/provision';
import type { StartedFunction } from '../../../local/run/wiring';

const shop = { name: 'Shop' } as unknown as ProvisionedStack;
const other = { name: 'Other' } as unknown as ProvisionedStack;
const fn = (stack: ProvisionedStack, path: string, variables: Record<string, string>) => ({ stack, fn: { path }, variables }) as unknown as StartedFunction;

describe('start --pipeline', () => {
  const functions = [
    fn(shop, 'Orders/Transform/Function', { PIPELINE_NAME: 'orders', CURATED_BUCKET: 'c1' }),
    fn(shop, 'Orders/BatchWorkflow/Steps', { PIPELINE_NAME: 'orders' }),
    fn(shop, 'Refunds/Transform/Function', { PIPELINE_NAME: 'refunds', CURATED_BUCKET: 'c2' }),
    fn(other, 'Transform/Function', { PIPELINE_NAME: 'invoices', CURATED_BUCKET: 'c3' }),
  ];
  const pipelines = pipelinesOf(functions);

  test('a pipeline per transform function, known by its name and the construct holding it', () => {
    expect(pipelines.map((p) => [p.name, p.prefix])).toEqual([['orders', 'Orders'], ['refunds', 'Refunds'], ['invoices', '']]);
  });

  test('chosen by pipelineName or construct path; the sources under it belong to it, the other pipeline\'s do not', () => {
    const refunds = choosePipeline(pipelines, 'refunds');
    expect(choosePipeline(pipelines, 'Refunds')).toBe(refunds);
    expect(belongsTo(refunds, shop, 'Refunds/StreamIngest/Stream')).toBe(true);
    expect(belongsTo(refunds, shop, 'Orders/StreamIngest/Stream')).toBe(false);
    expect(belongsTo(refunds, shop, 'RefundsArchive/Stream')).toBe(false);
    expect(belongsTo(refunds, other, 'Refunds/StreamIngest/Stream')).toBe(false);
    // A transform at the stack's root owns the whole stack.
    expect(belongsTo(choosePipeline(pipelines, 'invoices'), other, 'Queue')).toBe(true);
    // Nothing chosen: every source is a candidate (the first found is used).
    expect(belongsTo(choosePipeline(pipelines, undefined), shop, 'Orders/StreamIngest/Stream')).toBe(true);
  });

  test('an unknown name fails, naming the pipelines the app has', () => {
    expect(() => choosePipeline(pipelines, 'payments')).toThrow(
      '--pipeline payments matches no pipeline; the app has: orders (Orders), refunds (Refunds), invoices (stack root)',
    );
  });
});
