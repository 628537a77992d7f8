/**
 * What a handler must look like on the runtime the functions deploy on (`LAMBDA_RUNTIME`, Node.js 24): an async
 * (promise-returning) function of `(event, context)`. Lambda's Node.js 24 runtime no longer supports
 * callback-style handlers, `(event, context, callback)` (https://github.com/aws/aws-cdk/releases/tag/v2.259.0,
 * "Customer-code compatibility"; https://github.com/aws/aws-lambda-nodejs-runtime-interface-client/issues/137).
 * The sandbox refuses them at init (error type `Runtime.CallbackHandlerNotSupported`, the sandbox's own name), so
 * such a handler fails here before it fails in AWS. Plain CommonJS: the bootstrap requires it and must start fast.
 */
'use strict';

/** Returns why `handler` cannot run on Node.js 24 Lambda, or undefined when it can. */
function handlerShapeProblem(handler) {
  if (typeof handler !== 'function') return 'index.handler is undefined or not exported';
  if (handler.length >= 3) {
    return (
      `index.handler declares ${handler.length} parameters: callback-style handlers (event, context, callback) ` +
      'are not supported on Node.js 24; make it async (event, context) and return the result'
    );
  }
  return undefined;
}

module.exports = { handlerShapeProblem };
