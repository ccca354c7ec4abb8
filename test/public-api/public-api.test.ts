import * as api from '../../lib';
import { BATCH_WORKFLOW_EVENT_SOURCE } from '../../lib/contract/events';
import { METRIC_NAMESPACE } from '../../lib/contract/metrics';
import { latestNodeRuntime } from '../../lib/core/lambda-runtime';

describe('public API (lib/index.ts)', () => {
  test('constants are static members with the contract values', () => {
    expect(api.PipelineMetrics.NAMESPACE).toBe(METRIC_NAMESPACE);
    expect(api.BatchWorkflow.EVENT_SOURCE).toBe(BATCH_WORKFLOW_EVENT_SOURCE);
    expect(api.NodeRuntimes.latest()).toBe(latestNodeRuntime());
  });

  test('exports no internals: no prop validator, no helper functions, no top-level constants', () => {
    const exported = Object.keys(api);
    expect(exported).not.toContain('PropValidator');
    // Every runtime export is a class or an enum (what jsii represents), never a function or a constant.
    for (const name of exported) {
      const value = (api as Record<string, unknown>)[name];
      const isClass = typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value));
      const isEnum = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string' || typeof v === 'number');
      expect({ name, classOrEnum: isClass || isEnum }).toEqual({ name, classOrEnum: true });
    }
  });
});
