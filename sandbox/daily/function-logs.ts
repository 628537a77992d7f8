/**
 * Per-function log files, as CloudWatch keeps a log group per function: `<dir>/<function name>.log` gets every
 * line the function's execution environments write plus the START/END/REPORT lines. `npm run logs` reads them.
 * A new sandbox starts them empty: its state (tables, queues) starts empty too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface FunctionLogFiles {
  readonly dir: string;
  write(functionName: string, text: string): void;
  close(): Promise<void>;
}

export const logFileOf = (dir: string, functionName: string) => path.join(dir, `${functionName}.log`);

export function openFunctionLogs(dir: string, functionNames: readonly string[]): FunctionLogFiles {
  fs.mkdirSync(dir, { recursive: true });
  const streams = new Map(
    functionNames.map((name) => [name, fs.createWriteStream(logFileOf(dir, name), { flags: 'w', encoding: 'utf8' })]),
  );
  return {
    dir,
    write(functionName, text) {
      streams.get(functionName)?.write(text);
    },
    async close() {
      await Promise.all(
        [...streams.values()].map((stream) => new Promise<void>((resolve) => stream.end(() => resolve()))),
      );
    },
  };
}
