'use strict';
// Lambda's Node.js runtime for one packaged function, as lib/local/packaged/runtime.ts starts it:
// the handler named by _HANDLER is loaded from LAMBDA_TASK_ROOT at start (Lambda's init phase),
// then each invocation arrives over IPC, one at a time, with a context whose remaining time counts
// down from the function's timeout. Every environment variable the code reads is recorded, so a
// test can check that the template sets each one it needs.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const reads = new Set();
const real = process.env;
process.env = new Proxy(real, {
  get(target, key) {
    if (typeof key === 'string') reads.add(key);
    return target[key];
  },
  has(target, key) {
    if (typeof key === 'string') reads.add(key);
    return key in target;
  },
});

const spec = real._HANDLER ?? '';
const dot = spec.lastIndexOf('.');
const base = join(real.LAMBDA_TASK_ROOT ?? '.', spec.slice(0, dot));
const file = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((f) => existsSync(f));

const loading = (async () => {
  if (!file) throw Object.assign(new Error(`Cannot find module '${spec.slice(0, dot)}'`), { name: 'Runtime.ImportModuleError' });
  const mod = file.endsWith('.mjs') ? await import(pathToFileURL(file).href) : require(file);
  const handler = mod[spec.slice(dot + 1)];
  if (typeof handler !== 'function')
    throw Object.assign(new Error(`${spec} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  return handler;
})();
loading.catch(() => {});

const failure = (err) => ({
  errorType: (err && err.name) || 'Error',
  errorMessage: String((err && err.message) || err),
});

process.on('message', async (m) => {
  if (m.type === 'reads') return process.send({ id: m.id, reads: [...reads] });
  if (m.type !== 'invoke') return;
  const deadline = Date.now() + m.timeoutMs;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: real.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    invokedFunctionArn: m.functionArn,
    memoryLimitInMB: real.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: m.requestId,
    logGroupName: real.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: real.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  try {
    const handler = await loading;
    const result = await handler(m.event, context);
    process.send({ id: m.id, result: result === undefined ? null : result });
  } catch (err) {
    // As Lambda's runtime logs a failed invocation in the function's log.
    console.error(`ERROR\tInvoke Error\t${JSON.stringify(failure(err))}`);
    process.send({ id: m.id, error: failure(err) });
  }
});
loading.then(
  () => process.send({ ready: true }),
  (err) => process.send({ ready: true, initError: failure(err) }),
);
