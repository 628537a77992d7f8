/**
 * `npm run invoke -- <function> --event <file|->`: runs one function in the running sandbox (through its Lambda
 * API, exactly as `aws lambda invoke` would), then prints the result, the invocation's log lines (START to
 * REPORT) and its trace id with the X-Ray console link. `--generate <function|route>` prints a sample event to
 * edit. Exit 0: the function answered; 1: a function error; 2: a usage or configuration error (naming the setting).
 */
import { Command, CommanderError } from 'commander';
import * as fs from 'node:fs';
import { findSandbox, SandboxNotFoundError } from '../../sandbox/daily/state-file';
import { localNames } from '../../sandbox/local-aws';
import { EVENTS_DIR, readSample, resolveFunction, sampleFor, SAMPLE_EVENTS, UnknownNameError } from './functions';

export const EXIT = { ok: 0, functionError: 1, usage: 2 } as const;

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
}

const defaultIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  env: process.env,
};

class UsageError extends Error {}

function program(io: CliIO) {
  return new Command('invoke')
    .description('Invoke one function of the running sandbox with an event, and show its result, logs and trace.')
    .argument('[function]', 'post-question, process-questions-stream, process-clicks or mysfits-api (or its full name)')
    .option('--event <file>', "the event: a JSON file, or - for standard input (default: the function's sample event)")
    .option(
      '--generate <function|route>',
      'print a sample event, e.g. --generate post-question or --generate "GET /mysfits/{mysfitId}"',
    )
    .option('--json', 'print the invocation as one JSON object (result, log, traceId, traceUrl)')
    .addHelpText(
      'after',
      `\nSample events ` +
        `(${EVENTS_DIR}):\n${SAMPLE_EVENTS.map((s) => `  ${s.file.padEnd(30)} ${s.route ?? ''} ${s.what}`).join('\n')}\n`,
    )
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .allowExcessArguments(false);
}

async function readEvent(option: string | undefined, functionName: string, io: CliIO): Promise<string> {
  let text: string;
  let source: string;
  if (option === undefined) {
    text = readSample(sampleFor(functionName));
    source = `the sample event of ${functionName}`;
  } else if (option === '-') {
    text = await io.readStdin();
    source = 'standard input';
  } else {
    try {
      text = fs.readFileSync(option, 'utf8');
    } catch (err) {
      throw new UsageError(
        `--event: cannot read ${option}: ` +
          `${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message}`,
      );
    }
    source = option;
  }
  try {
    JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--event: ${source} is not JSON: ${(err as Error).message}`);
  }
  return text;
}

export async function main(argv: readonly string[], io: CliIO = defaultIO): Promise<number> {
  const command = program(io);
  try {
    command.parse(argv as string[], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.code === 'commander.helpDisplayed' ? EXIT.ok : EXIT.usage;
    throw err;
  }
  const options = command.opts<{ event?: string; generate?: string; json?: boolean }>();
  const [functionArg] = command.args;
  try {
    if (options.generate !== undefined) {
      io.stdout(readSample(sampleFor(options.generate)));
      return EXIT.ok;
    }
    if (!functionArg)
      throw new UsageError(
        '<function>: missing; name one of post-question, process-questions-stream, process-clicks, mysfits-api',
      );
    const key = resolveFunction(functionArg);
    const payload = await readEvent(options.event, functionArg, io);
    const sandbox = findSandbox(io.env);
    return await invoke(
      sandbox.lambdaEndpoint,
      localNames.function(key),
      payload,
      sandbox.xrayEndpoint,
      options.json ?? false,
      io,
    );
  } catch (err) {
    if (err instanceof UsageError || err instanceof UnknownNameError || err instanceof SandboxNotFoundError) {
      io.stderr(`invoke: ${err.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`invoke: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
}

async function invoke(
  endpoint: string,
  functionName: string,
  payload: string,
  xrayEndpoint: string,
  json: boolean,
  io: CliIO,
) {
  let res: Response;
  try {
    res = await fetch(`${endpoint}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Amz-Log-Type': 'Tail' },
      body: payload,
    });
  } catch (err) {
    throw new SandboxNotFoundError(
      `the sandbox's Lambda API at ${endpoint} does not answer (${(err as Error).message}); is npm start still ` +
        `running?`,
    );
  }
  const body = await res.text();
  if (res.status !== 200)
    throw new Error(`the Lambda API answered ${res.status} ${res.headers.get('x-amzn-ErrorType') ?? ''}: ${body}`);
  const log = Buffer.from(res.headers.get('X-Amz-Log-Result') ?? '', 'base64').toString('utf8');
  const traceId = /Root=([^;]+)/.exec(res.headers.get('X-Amzn-Trace-Id') ?? '')?.[1];
  const traceUrl = traceId ? `${xrayEndpoint}/traces/${traceId}` : undefined;
  const functionError = res.headers.get('X-Amz-Function-Error');
  let result: unknown = body;
  try {
    result = JSON.parse(body);
  } catch {
    // not JSON: printed as it came
  }
  if (json) {
    io.stdout(
      `${JSON.stringify({ function: functionName, ok: !functionError, result, log, traceId, traceUrl }, null, 2)}\n`,
    );
  } else {
    io.stdout(`── ${functionName}: ${functionError ? `function error (${functionError})` : 'result'}\n`);
    io.stdout(`${typeof result === 'string' ? result : JSON.stringify(result, null, 2)}\n`);
    io.stdout(`── log\n${log.endsWith('\n') ? log : `${log}\n`}`);
    io.stdout(traceId ? `── trace ${traceId}\n   ${traceUrl}\n` : '── no trace (tracing is off for this function)\n');
  }
  return functionError ? EXIT.functionError : EXIT.ok;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
