/**
 * Structured JSON logs in the shape of Powertools' Logger (level, message, service, timestamp, xray_trace_id),
 * one line per entry on stdout, which Lambda ships to CloudWatch Logs.
 * Level from POWERTOOLS_LOG_LEVEL (or AWS_LAMBDA_LOG_LEVEL): DEBUG, INFO (default), WARN, ERROR, SILENT.
 */
import { currentTraceId } from './tracing';

const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;
type Level = (typeof LEVELS)[number];

function thresholdFromEnv(): number {
  const wanted = (process.env.POWERTOOLS_LOG_LEVEL ?? process.env.AWS_LAMBDA_LOG_LEVEL ?? 'INFO').toUpperCase();
  const index = LEVELS.indexOf(wanted as Level);
  return index >= 0 ? index : LEVELS.indexOf('INFO');
}

export interface Logger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export function createLogger(service: string): Logger {
  const write = (level: Level, message: string, extra?: Record<string, unknown>) => {
    if (LEVELS.indexOf(level) < thresholdFromEnv()) return;
    const entry = {
      level,
      message,
      service,
      timestamp: new Date().toISOString(),
      xray_trace_id: currentTraceId(),
      ...extra,
    };
    process.stdout.write(`${JSON.stringify(entry, errorReplacer)}\n`);
  };
  return {
    debug: (m, e) => write('DEBUG', m, e),
    info: (m, e) => write('INFO', m, e),
    warn: (m, e) => write('WARN', m, e),
    error: (m, e) => write('ERROR', m, e),
  };
}

/**
 * The same logger with `keys` on every line (as Powertools' `appendKeys`), e.g. the request id of one
 * invocation. The line's own fields come after, so they win on a clash.
 */
export function withKeys(logger: Logger, keys: Record<string, unknown>): Logger {
  const bound = (write: Logger['info']) => (message: string, extra?: Record<string, unknown>) =>
    write(message, { ...keys, ...extra });
  return {
    debug: bound(logger.debug),
    info: bound(logger.info),
    warn: bound(logger.warn),
    error: bound(logger.error),
  };
}

/** Errors serialise as { name, message, stack } instead of `{}`. */
function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}
