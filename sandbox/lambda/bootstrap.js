/**
 * One Lambda-like execution environment: a child process of the function runtime (function-runtime.ts).
 * Loads the bundled handler once (the "init" phase, with the function's environment), then handles one
 * invocation at a time on request over IPC, setting _X_AMZN_TRACE_ID per invocation as Lambda does, so the
 * X-Ray SDK's facade segment parents the handler's subsegments. Plain CommonJS: it must start fast in `node`.
 */
'use strict';
const path = require('node:path');
const { handlerShapeProblem } = require('./handler-shape');

const send = (message) => process.send?.(message);
const describe = (err) => ({
  errorType: err?.name || 'Error',
  errorMessage: err && err.message !== undefined ? String(err.message) : String(err),
});

let handler;
const initStart = Date.now();
try {
  const handlerModule = require(path.join(process.env.LAMBDA_TASK_ROOT, 'index.js'));
  const problem = handlerShapeProblem(handlerModule.handler);
  if (problem) {
    const err = new Error(problem);
    err.name =
      typeof handlerModule.handler === 'function' ? 'Runtime.CallbackHandlerNotSupported' : 'Runtime.HandlerNotFound';
    throw err;
  }
  handler = handlerModule.handler;
  send({ type: 'init', ok: true, startMs: initStart, endMs: Date.now() });
} catch (err) {
  send({ type: 'init', ok: false, startMs: initStart, endMs: Date.now(), error: describe(err) });
}

// REPORT's "Max Memory Used": the environment's peak resident memory so far (kilobytes on Linux).
const maxRssKb = () => process.resourceUsage().maxRSS;

let current; // the invocation in progress: an unhandled error fails it and ends the environment, as in Lambda

function fail(kind) {
  return (err) => {
    if (current) send({ type: 'result', requestId: current, ok: false, error: { ...describe(err), errorType: kind } });
    process.exitCode = 1;
    setImmediate(() => process.exit(1));
  };
}
process.on('uncaughtException', fail('Runtime.UncaughtException'));
process.on('unhandledRejection', fail('Runtime.UnhandledPromiseRejection'));

// The runtime (our parent) is gone, e.g. killed: an execution environment never outlives it.
process.on('disconnect', () => process.exit(0));

process.on('message', async (message) => {
  if (message?.type !== 'invoke' || !handler) return;
  const { requestId, event, traceHeader, deadlineMs } = message;
  current = requestId;
  process.env._X_AMZN_TRACE_ID = traceHeader;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
  };
  const startMs = Date.now();
  try {
    const value = await handler(event, context);
    // Lambda returns the JSON serialisation of the result (undefined becomes null).
    const result = JSON.parse(JSON.stringify(value === undefined ? null : value));
    send({ type: 'result', requestId, ok: true, result, startMs, endMs: Date.now(), maxRssKb: maxRssKb() });
  } catch (err) {
    send({
      type: 'result',
      requestId,
      ok: false,
      error: describe(err),
      startMs,
      endMs: Date.now(),
      maxRssKb: maxRssKb(),
    });
  } finally {
    current = undefined;
  }
});
