/**
 * The system's wiring, declared once; this file is the index of system/.
 *
 * The CDKTF stacks (`stacks/`), the local sandbox (`sandbox/`) and the trace checker (`tools/check-traces/`)
 * all read it, so what runs on a laptop cannot drift from what is deployed: the same handler entry points, the
 * same environment variable names, the same routes, the same event-source settings and the same expected trace
 * graph. Each value is declared in one module, by concern:
 *
 * - `functions.ts`: the Lambda runtime, the functions, their environment variable names and defaults;
 * - `api.ts`: the HTTP APIs as clients see them (routes, request models and rules, CORS, the mysfit view);
 * - `api-responses.ts`: what API Gateway answers on its own (preflights, gateway responses, access log format);
 * - `resources.ts`: tables, the stream mapping, the delivery stream, names per environment;
 * - `stacks.ts`: the stacks, their deploy order and names, the output ids;
 * - `trace-names.ts`: the annotation and subsegment names the handlers record;
 * - `tracing-contract.ts`: the expected trace graph `check-traces` verifies;
 * - `local-ports.ts`: the sandbox's default ports.
 *
 * Stacks, sandbox, tools and tests may import this index. The handlers and the browser site import the module
 * they need instead: esbuild keeps every statement of an imported module that it cannot prove free of side
 * effects (a property read such as `ENV.serviceName` counts), so importing the index would put the whole wiring
 * into each bundle. `__tests__/architecture/imports.test.ts` keeps them off the index, and
 * `__tests__/handlers/bundles.test.ts` checks which system/ modules each bundle holds.
 *
 * Every module is plain data: no cdktf or AWS SDK imports, nothing that needs Node.js.
 */
export * from './functions';
export * from './api';
export * from './api-responses';
export * from './resources';
export * from './stacks';
export * from './trace-names';
export * from './tracing-contract';
export * from './local-ports';
