/**
 * FunctionHost: a timeout ends the execution environment as on Lambda. The worker is terminated
 * before the invocation fails with Sandbox.Timedout, so nothing the invocation would still do lands,
 * and the next invocation loads the function in a fresh worker (a cold start, counted).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FunctionHost } from '../../../local/functions/function-host';

const FILE = path.join(__dirname, '..', 'fixtures', 'hosted-function.js');

function host(timeoutSeconds: number): Promise<FunctionHost> {
  return FunctionHost.start({
    file: FILE,
    exportName: 'handler',
    functionName: 'hosted',
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:hosted',
    memorySize: 128,
    timeoutSeconds,
    env: {},
    extraNodePaths: [],
  });
}

describe('FunctionHost', () => {
  const hosts: FunctionHost[] = [];
  afterAll(async () => Promise.all(hosts.map((h) => h.stop())));
  async function started(timeoutSeconds: number) {
    const h = await host(timeoutSeconds);
    hosts.push(h);
    return h;
  }

  test('a timeout terminates the worker before the invocation fails: nothing it does after the deadline lands', async () => {
    const h = await started(1);
    expect(await h.invoke({})).toEqual({ served: 1 });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'host-')), 'ticks.txt');
    await expect(h.invoke({ mode: 'tick', file })).rejects.toMatchObject({ name: 'Sandbox.Timedout', message: 'Task timed out after 1 seconds' });
    const atDeadline = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    // The next invocation loads the function again (a cold start) while the old worker's timer,
    // were it still running, would tick on: the file must not have grown.
    expect(await h.invoke({})).toEqual({ served: 1 });
    expect(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '').toBe(atDeadline);
    expect({ invocations: h.invocations, errors: h.errors, timeouts: h.timeouts, coldStarts: h.coldStarts }).toEqual({ invocations: 3, errors: 1, timeouts: 1, coldStarts: 2 });
    expect(await h.invoke({})).toEqual({ served: 2 }); // warm again
  });

  test('timeOutNow ends a running invocation as its timeout would', async () => {
    const h = await started(900);
    const running = h.invoke({ mode: 'hang' });
    await h.timeOutNow();
    await expect(running).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
    expect(h.timeouts).toBe(1);
    await h.timeOutNow(); // nothing running: no effect
    expect(h.timeouts).toBe(1);
    expect(await h.invoke({})).toEqual({ served: 1 });
    expect(h.coldStarts).toBe(2);
  });

  test('a runtime that exits fails its invocation; the next one gets a fresh worker', async () => {
    const h = await started(900);
    await expect(h.invoke({ mode: 'exit' })).rejects.toThrow(/exited with code 7/);
    expect(await h.invoke({})).toEqual({ served: 1 });
    expect({ errors: h.errors, timeouts: h.timeouts, coldStarts: h.coldStarts }).toEqual({ errors: 1, timeouts: 0, coldStarts: 2 });
  });

  test('after stop, invocations are refused', async () => {
    const h = await host(900);
    await h.stop();
    await expect(h.invoke({})).rejects.toThrow('the function was stopped');
  });
});
