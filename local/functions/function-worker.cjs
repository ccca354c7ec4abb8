/*
 * Runs one Lambda function's bundled code in a worker thread, like a Lambda container: the
 * worker's own process.env (the function's resolved environment), the asset's index.js loaded
 * once (init), then one invocation per message. Lines the function writes to stdout are captured
 * per invocation and returned with the result (EMF metrics and logs), so nothing reaches the
 * terminal. Plain CommonJS on purpose: it runs under node, not tsx.
 */
/* global require, process, Buffer, URL */
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS run by plain node in a worker */
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');

const captured = [];
let partial = '';
const capture = (chunk, encoding, callback) => {
  partial += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  const lines = partial.split('\n');
  partial = lines.pop();
  captured.push(...lines);
  const done = typeof encoding === 'function' ? encoding : callback;
  if (typeof done === 'function') done();
  return true;
};
process.stdout.write = capture;
process.stderr.write = capture;

// A call to `<service>.<region>.localhost` goes to that service's front door, as every call on AWS
// reaches the service's endpoint: the AWS SDK sends an SQS call with a QueueUrl to the URL's host
// (useQueueUrlAsEndpoint), and the emulator's queue URLs are `http://sqs.<region>.localhost:<port>/…`.
// Sent there directly, the call would pass IAM and fault injection by; so the request is addressed
// to AWS_ENDPOINT_URL_<SERVICE> (the front door, which passes it on to the emulator unchanged).
// The SDK reads `request` from node:http when it first sends, after this runs.
const http = require('node:http');
const request = http.request;
function serviceEndpoint(host) {
  if (typeof host !== 'string' || !host.endsWith('.localhost')) return undefined;
  const variable = `AWS_ENDPOINT_URL_${host.split('.')[0].toUpperCase()}`;
  return process.env[variable] ? new URL(process.env[variable]) : undefined;
}
http.request = function frontDoorRequest(options, ...rest) {
  const isOptions = typeof options === 'object' && options !== null && !(options instanceof URL);
  const endpoint = isOptions ? serviceEndpoint(options.hostname || options.host) : undefined;
  if (!endpoint) return request.call(this, options, ...rest);
  const host = options.hostname || options.host;
  const headers = { host: options.port ? `${host}:${options.port}` : host, ...options.headers };
  return request.call(this, { ...options, protocol: endpoint.protocol, hostname: endpoint.hostname, host: endpoint.hostname, port: endpoint.port, headers }, ...rest);
};

// Other names under `localhost` are the loopback (RFC 6761), as browsers and systemd-resolved answer.
const dns = require('node:dns');
const lookup = dns.lookup;
dns.lookup = function localhostLookup(hostname, options, callback) {
  if (typeof hostname === 'string' && hostname.endsWith('.localhost')) {
    const done = typeof options === 'function' ? options : callback;
    const all = typeof options === 'object' && options !== null && options.all;
    return process.nextTick(() => (all ? done(null, [{ address: '127.0.0.1', family: 4 }]) : done(null, '127.0.0.1', 4)));
  }
  return lookup.apply(this, arguments);
};

function takeOutput() {
  if (partial) {
    captured.push(partial);
    partial = '';
  }
  return captured.splice(0);
}

function load() {
  const { file, exportName, extraNodePaths } = workerData;
  const mod = new Module(file, null);
  mod.filename = file;
  mod.paths = [...Module._nodeModulePaths(path.dirname(file)), ...extraNodePaths];
  mod._compile(fs.readFileSync(file, 'utf8'), file);
  const handler = exportName.split('.').reduce((v, k) => (v === null || v === undefined ? v : v[k]), mod.exports);
  if (typeof handler !== 'function') throw new Error(`${path.basename(file)} does not export a function "${exportName}"`);
  return handler;
}

let handler;
const started = Date.now();
try {
  handler = load();
  parentPort.postMessage({ type: 'ready', initMs: Date.now() - started, output: takeOutput() });
} catch (error) {
  parentPort.postMessage({ type: 'init-error', error: { name: error.name, message: error.message, stack: error.stack }, output: takeOutput() });
}

parentPort.on('message', async (message) => {
  if (!handler || message.type !== 'invoke') return;
  const context = {
    awsRequestId: message.requestId,
    functionName: workerData.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: workerData.functionArn,
    memoryLimitInMB: String(workerData.memorySize),
    logGroupName: `/aws/lambda/${workerData.functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  try {
    const result = await handler(message.event, context);
    parentPort.postMessage({ type: 'result', id: message.id, ok: true, result, output: takeOutput() });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    parentPort.postMessage({ type: 'result', id: message.id, ok: false, error: { name: e.name, message: e.message }, output: takeOutput() });
  }
});
