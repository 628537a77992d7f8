/**
 * The tracing back ends a function can be built with (`tracing` in an environment's configuration). No imports:
 * the configuration schema reads this without loading the bundler.
 */
export const TRACING_BACKENDS = ['xray-sdk', 'opentelemetry'] as const;
export type TracingBackend = (typeof TRACING_BACKENDS)[number];
/** The X-Ray SDK stays the default until an environment switches. */
export const DEFAULT_TRACING_BACKEND: TracingBackend = 'xray-sdk';
