/**
 * `Promise.withResolvers` for Node 20: aws-local-stepfunctions 3.x calls it on every Task state
 * (Node 22 has it). Imported for its side effect by the local state machine executor and the workflow tests.
 */
const P = Promise as unknown as { withResolvers?: <T>() => { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = <T>() => {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
export {};
