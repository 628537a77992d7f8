/**
 * `npm run logs -- <function> [--follow]`: one function's log from the sandbox (`.sandbox/logs/<function>.log`):
 * its own lines and Lambda's START, END and REPORT lines. `--follow` keeps printing new lines until Ctrl-C.
 * Works after the sandbox stopped too (the last run's log). Exit 2 names the setting at fault.
 */
import { Command, CommanderError } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { logFileOf } from '../../sandbox/daily/function-logs';
import { findSandbox, SandboxNotFoundError, stateDirFrom } from '../../sandbox/daily/state-file';
import { localNames } from '../../sandbox/local-aws';
import { resolveFunction, UnknownNameError } from '../invoke/functions';

export interface LogsIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Resolves when following should stop (Ctrl-C); tests resolve it themselves. */
  untilStopped: () => Promise<void>;
}

const defaultIO: LogsIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  untilStopped: () => new Promise((resolve) => process.once('SIGINT', () => resolve())),
};

/** The running sandbox's log directory, else the last run's (the files outlive the sandbox). */
function logsDirOf(env: NodeJS.ProcessEnv, io: LogsIO): string {
  try {
    const sandbox = findSandbox(env);
    if (sandbox.logsDir) return sandbox.logsDir;
  } catch (err) {
    if (!(err instanceof SandboxNotFoundError)) throw err;
    io.stderr(`logs: ${err.message}; showing the last run's log\n`);
  }
  return path.join(stateDirFrom(env), 'logs');
}

async function follow(file: string, from: number, io: LogsIO): Promise<void> {
  let offset = from;
  const readNew = () => {
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch {
      return;
    }
    if (size < offset) offset = 0; // a new sandbox started the file again
    if (size === offset) return;
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(size - offset);
      fs.readSync(fd, buffer, 0, buffer.length, offset);
      offset = size;
      io.stdout(buffer.toString('utf8'));
    } finally {
      fs.closeSync(fd);
    }
  };
  const timer = setInterval(readNew, 200);
  try {
    await io.untilStopped();
    readNew();
  } finally {
    clearInterval(timer);
  }
}

export async function main(argv: readonly string[], io: LogsIO = defaultIO): Promise<number> {
  const command = new Command('logs')
    .description("Print one function's log from the sandbox: its lines and Lambda's START, END and REPORT lines.")
    .argument('<function>', 'post-question, process-questions-stream, process-clicks or mysfits-api (or its full name)')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .allowExcessArguments(false);
  try {
    command.parse(argv as string[], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.code === 'commander.helpDisplayed' ? 0 : 2;
    throw err;
  }
  let file: string;
  try {
    const name = localNames.function(resolveFunction(command.args[0]));
    file = logFileOf(logsDirOf(io.env, io), name);
  } catch (err) {
    if (err instanceof UnknownNameError) {
      io.stderr(`logs: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    if (!command.opts().follow) {
      io.stderr(
        `logs: ${file} does not exist: the sandbox writes it when started with npm start (SANDBOX_STATE_DIR)\n`,
      );
      return 2;
    }
  }
  io.stdout(text);
  if (command.opts().follow) await follow(file, Buffer.byteLength(text), io);
  return 0;
}

if (require.main === module) {
  // `npm run logs -- x | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    if (code === 0) process.exit(0); // the follow timer and SIGINT listener are done
  });
}
