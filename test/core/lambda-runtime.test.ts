import * as lambda from 'aws-cdk-lib/aws-lambda';
import { esbuildTarget, latestNodeRuntime, nodeRuntimeProblem } from '../../lib/core/lambda-runtime';

/** The highest nodejsNN.x of Runtime.ALL, computed independently of the library (cdk-nag's rule). */
function highestNodeName(): string {
  const majors = lambda.Runtime.ALL.map((r) => /^nodejs(\d+)\.x$/.exec(r.name)).filter((m) => m !== null).map((m) => Number(m[1]));
  return `nodejs${Math.max(...majors)}.x`;
}

describe('latestNodeRuntime', () => {
  test('is the highest nodejsNN.x the installed aws-cdk-lib knows (nodejs24.x or newer in the peer range)', () => {
    const latest = latestNodeRuntime();
    expect(latest.name).toBe(highestNodeName());
    expect(Number(/^nodejs(\d+)\.x$/.exec(latest.name)?.[1])).toBeGreaterThanOrEqual(24);
    expect(latest.family).toBe(lambda.RuntimeFamily.NODEJS);
  });

  test('follows a runtime a newer aws-cdk-lib adds to Runtime.ALL (faked here)', () => {
    const before = latestNodeRuntime();
    // A Runtime registers itself in Runtime.ALL, as a newer aws-cdk-lib's NODEJS_26_X would.
    const fake = new lambda.Runtime('nodejs99.x', lambda.RuntimeFamily.NODEJS, { supportsInlineCode: true });
    try {
      expect(lambda.Runtime.ALL).toContain(fake);
      expect(latestNodeRuntime()).toBe(fake);
      expect(esbuildTarget(latestNodeRuntime())).toBe('node99');
    } finally {
      lambda.Runtime.ALL.splice(lambda.Runtime.ALL.indexOf(fake), 1);
    }
    expect(latestNodeRuntime()).toBe(before);
  });

  test('compares versions as numbers, ignores other families and unversioned names, prefers the fixed runtime to NODEJS_LATEST', () => {
    const known = [
      new lambda.Runtime('nodejs9.x', lambda.RuntimeFamily.NODEJS),
      new lambda.Runtime('nodejs100.x', lambda.RuntimeFamily.OTHER),
      new lambda.Runtime('python3.99', lambda.RuntimeFamily.PYTHON),
      new lambda.Runtime('nodejs', lambda.RuntimeFamily.NODEJS),
      new lambda.Runtime('nodejs12.x', lambda.RuntimeFamily.NODEJS, { isVariable: true }),
      new lambda.Runtime('nodejs12.x', lambda.RuntimeFamily.NODEJS),
      new lambda.Runtime('nodejs10.x', lambda.RuntimeFamily.NODEJS),
    ];
    try {
      const latest = latestNodeRuntime(known);
      expect(latest).toBe(known[5]);
      expect(latest.isVariable).toBe(false);
      expect(() => latestNodeRuntime([known[2]])).toThrow(/defines no nodejsNN\.x Lambda runtime/);
    } finally {
      for (const r of known) lambda.Runtime.ALL.splice(lambda.Runtime.ALL.indexOf(r), 1);
    }
  });
});

describe('nodeRuntimeProblem', () => {
  test('accepts Node.js runtimes from nodejs20.x', () => {
    expect(nodeRuntimeProblem('runtime', undefined)).toBeUndefined();
    expect(nodeRuntimeProblem('runtime', lambda.Runtime.NODEJS_20_X)).toBeUndefined();
    expect(nodeRuntimeProblem('runtime', lambda.Runtime.NODEJS_24_X)).toBeUndefined();
  });

  test('names the prop, the runtime and the allowed range for another family or an old Node.js', () => {
    expect(nodeRuntimeProblem('runtime', lambda.Runtime.PYTHON_3_13)).toBe(
      `runtime is python3.13; it must be a Node.js runtime from nodejs20.x to ${highestNodeName()} ` +
        "(the library's Lambda code is JavaScript for Node.js 20 or newer)",
    );
    expect(nodeRuntimeProblem('transform.runtime', lambda.Runtime.NODEJS_18_X)).toMatch(/^transform\.runtime is nodejs18\.x; it must be a Node\.js runtime from nodejs20\.x/);
    expect(nodeRuntimeProblem('runtime', lambda.Runtime.PROVIDED_AL2023)).toMatch(/^runtime is provided\.al2023; /);
  });
});

test('esbuildTarget: the Node.js major of the runtime', () => {
  expect(esbuildTarget(lambda.Runtime.NODEJS_22_X)).toBe('node22');
  expect(() => esbuildTarget(lambda.Runtime.PYTHON_3_13)).toThrow(/python3\.13 is not a nodejsNN\.x runtime/);
});
