import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FunctionPool } from '../../../local/functions/function-pool';

/**
 * A function's execution environments: one invocation at a time in each, a new one (its own
 * worker and module state) when every environment is busy, up to the cap.
 */
describe('FunctionPool', () => {
  let file: string;
  const pools: FunctionPool[] = [];

  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-'));
    file = path.join(dir, 'index.js');
    // Module state per environment: a call counter and the worker's thread id.
    fs.writeFileSync(
      file,
      [
        "const { threadId } = require('node:worker_threads');",
        'let calls = 0;',
        'exports.handler = async (event) => {',
        '  calls++;',
        '  if (event.hang) await new Promise(() => undefined);',
        '  return { calls, threadId, signer: process.env.AWS_ACCESS_KEY_ID };',
        '};',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.stop()));
  });

  async function pool(cap?: number, timeoutSeconds = 30): Promise<FunctionPool> {
    const p = await FunctionPool.start(
      { file, exportName: 'handler', functionName: 'fn', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', memorySize: 128, timeoutSeconds, env: {}, extraNodePaths: [] },
      cap,
    );
    pools.push(p);
    return p;
  }

  type Result = { calls: number; threadId: number };

  test('invocations at once run in environments of their own; later ones reuse them', async () => {
    const p = await pool();
    const together = (await Promise.all([p.invoke({}), p.invoke({}), p.invoke({})])) as Result[];
    // Three environments, each with its own module state (first call in each).
    expect(together.map((r) => r.calls)).toEqual([1, 1, 1]);
    expect(new Set(together.map((r) => r.threadId)).size).toBe(3);
    expect(p.concurrency()).toEqual({ environments: 3, peak: 3, cap: 64, waited: 0 });

    const after = [];
    for (let i = 0; i < 3; i++) after.push((await p.invoke({})) as Result);
    expect(new Set(after.map((r) => r.threadId)).size).toBe(1); // one at a time: one warm environment
    expect(p.concurrency().environments).toBe(3);
    expect(p.invocations).toBe(6);
  });

  test('each environment gets options of its own (its signing key) and is announced as it starts', async () => {
    const started: number[] = [];
    const p = await FunctionPool.start(
      (environment) => ({
        file,
        exportName: 'handler',
        functionName: 'fn',
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn',
        memorySize: 128,
        timeoutSeconds: 30,
        env: { AWS_ACCESS_KEY_ID: `KEY${environment}` },
        extraNodePaths: [],
      }),
      undefined,
      (environment) => started.push(environment),
    );
    pools.push(p);
    const results = (await Promise.all([p.invoke({}), p.invoke({})])) as Array<Result & { signer: string }>;
    expect(results.map((r) => r.signer).sort()).toEqual(['KEY1', 'KEY2']);
    expect(started).toEqual([1, 2]);
  });

  test('at the cap (reserved concurrency), invocations wait for a free environment', async () => {
    const p = await pool(2);
    const results = (await Promise.all([p.invoke({}), p.invoke({}), p.invoke({}), p.invoke({})])) as Result[];
    expect(new Set(results.map((r) => r.threadId)).size).toBe(2);
    expect(p.concurrency()).toEqual({ environments: 2, peak: 2, cap: 2, waited: 2 });
  });

  test('an environment whose invocation timed out loads the function again (a cold start)', async () => {
    const p = await pool(1, 0.5);
    const first = (await p.invoke({})) as Result;
    await expect(p.invoke({ hang: true })).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
    const next = (await p.invoke({})) as Result;
    expect(next.threadId).not.toBe(first.threadId);
    expect(next.calls).toBe(1);
    expect(p.concurrency()).toEqual(expect.objectContaining({ environments: 1, cap: 1 }));
    expect({ errors: p.errors, timeouts: p.timeouts, coldStarts: p.coldStarts }).toEqual({ errors: 1, timeouts: 1, coldStarts: 2 });
  });

  test('timeOutNow ends the invocations running now, in every busy environment', async () => {
    const p = await pool();
    const hanging = Promise.allSettled([p.invoke({ hang: true }), p.invoke({ hang: true })]);
    // Both are in flight once their environments are up; end them as their timeouts would.
    while (p.invocations < 2) await new Promise((r) => setImmediate(r));
    await p.timeOutNow();
    expect((await hanging).map((r) => (r.status === 'rejected' ? (r.reason as Error).name : r.status))).toEqual(['Sandbox.Timedout', 'Sandbox.Timedout']);
    expect(p.timeouts).toBe(2);
  });
});
