/**
 * `npm start`: runs the whole system on this machine until Ctrl-C.
 * Ports: PORT (website, default 3000), QUESTIONS_API_PORT (3001), MYSFITS_API_PORT (3002), CLICKS_API_PORT (3003),
 * XRAY_PORT (2000), DYNAMODB_PORT (8000), FAUXQS_PORT (4566), LAMBDA_PORT (9001), OTLP_PORT (4318); 0 = any free.
 * TRACING=opentelemetry runs the OpenTelemetry build of the functions (default xray-sdk). Endpoints and
 * per-function logs go to SANDBOX_STATE_DIR (default .sandbox/). A saved handler or website file is rebuilt and
 * served by the next request; `npm start -- --no-watch` (or WATCH=0) turns that off.
 * `npm start -- --persist [dir]` (or SANDBOX_PERSIST=dir) keeps tables, queues, topic, bucket and traces in that
 * folder (default .sandbox/state) across restarts; without it every start is clean.
 * Exit codes: 0 after a clean stop, 1 when a part fails to start or dies and cannot be restarted (the message names
 * it, with its last output), 2 for a bad setting.
 */
import { Command, CommanderError } from 'commander';
import { SANDBOX_PORTS } from '../system/definition';
import { DEFAULT_PERSIST_DIR, defaultPersistDir } from './services/persist-folder';
import { PORT_SETTINGS } from './gateway/server';
import { startSandbox, type Sandbox } from './index';
import { formatBanner } from './daily/banner';
import { stateDirFrom } from './daily/state-file';
import { endpointsRecord } from './daily/hooks';

/** The Lambda API's port unless LAMBDA_PORT says otherwise (9001: the port AWS's runtime interface emulator uses). */
const DEFAULT_LAMBDA_PORT = 9001;
import { DEFAULT_TRACING_BACKEND, TRACING_BACKENDS, type TracingBackend } from '../build/tracing-backends';
import { DEFAULT_OTLP_HTTP_PORT } from './xray/otlp-http';

function portSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    console.error(`✗ ${name}=${raw} is not a port number (0-65535; 0 = any free port)`);
    process.exit(2);
  }
  return port;
}

/** TRACING=xray-sdk|opentelemetry: the handler build to run, as `tracing` in an environment's configuration. */
function tracingSetting(): TracingBackend {
  const raw = process.env.TRACING;
  if (raw === undefined || raw === '') return DEFAULT_TRACING_BACKEND;
  if (!(TRACING_BACKENDS as readonly string[]).includes(raw)) {
    console.error(`✗ TRACING=${raw} is not a tracing back end (${TRACING_BACKENDS.join(' or ')})`);
    process.exit(2);
  }
  return raw as TracingBackend;
}

interface StartArguments {
  /** The folder the state is kept in, or undefined for a clean start. */
  persistDir?: string;
  /** Edit and see: rebuild and reload on save (off with --no-watch or WATCH=0). */
  watch: boolean;
}

/** `npm start -- [--persist [dir]]`; an unknown option or argument exits 2 naming it. */
function parseStartArguments(argv: string[], environment: NodeJS.ProcessEnv = process.env): StartArguments {
  const program = new Command('npm start --')
    .description('Runs the whole Mythical Mysfits system on this machine until Ctrl-C.')
    .option(
      '--persist [dir]',
      `keep tables, queues, topic, bucket and traces in this folder across restarts (default ${DEFAULT_PERSIST_DIR}; or SANDBOX_PERSIST=dir)`,
    )
    .option('--no-watch', 'do not rebuild and reload functions and website files when they are saved (or WATCH=0)')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError && (err.code === 'commander.helpDisplayed' || err.code === 'commander.help')) {
      process.exit(0);
    }
    const message = (err as Error).message.replace(/^error: /, '');
    console.error(`✗ ${message} (npm start -- --help lists the options)`);
    process.exit(2);
  }
  const opts = program.opts<{ persist?: string | true; watch: boolean }>();
  const watch = opts.watch && environment.WATCH !== '0';
  if (opts.persist !== undefined)
    return { watch, persistDir: opts.persist === true ? defaultPersistDir() : opts.persist };
  return { watch, persistDir: environment.SANDBOX_PERSIST || undefined };
}

async function main(): Promise<void> {
  const { persistDir, watch } = parseStartArguments(process.argv.slice(2));
  const ports = {
    port: portSetting(PORT_SETTINGS.website, SANDBOX_PORTS.website),
    apiPorts: {
      questions: portSetting(PORT_SETTINGS.questions, SANDBOX_PORTS.apis.questions),
      mysfits: portSetting(PORT_SETTINGS.mysfits, SANDBOX_PORTS.apis.mysfits),
      clicks: portSetting(PORT_SETTINGS.clicks, SANDBOX_PORTS.apis.clicks),
    },
    xrayPort: portSetting('XRAY_PORT', SANDBOX_PORTS.xray),
    dynamodbPort: portSetting('DYNAMODB_PORT', SANDBOX_PORTS.dynamodb),
    fauxqsPort: portSetting('FAUXQS_PORT', SANDBOX_PORTS.fauxqs),
    lambdaPort: portSetting('LAMBDA_PORT', DEFAULT_LAMBDA_PORT),
    otlpPort: portSetting('OTLP_PORT', DEFAULT_OTLP_HTTP_PORT),
  };
  const tracingBackend = tracingSetting();
  console.log('Starting the Mythical Mysfits sandbox…');
  let sandbox: Sandbox | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      console.log(`\n${signal} again: exiting without waiting.`);
      process.exit(130);
    }
    stopping = true;
    console.log(`\n${signal}: stopping every part…`);
    await sandbox?.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  try {
    sandbox = await startSandbox({
      ...ports,
      tracingBackend,
      watch,
      stateDir: stateDirFrom(),
      persistDir,
      log: (line) => console.log(line),
    });
  } catch (err) {
    console.error(`\n✗ The sandbox could not start. ${(err as Error).message}`);
    process.exit(1);
  }
  if (stopping) return; // a signal arrived while starting; stop() is under way
  void sandbox.failed.then((err) => {
    // The sandbox has already stopped every part; say why and exit non-zero rather than serve errors.
    console.error(`\n✗ The sandbox stopped: ${err.message}`);
    process.exit(1);
  });
  const endpoints = endpointsRecord({ ...sandbox, logsDir: undefined });
  const otlp = { endpoint: sandbox.otlpEndpoint, backend: tracingBackend };
  console.log(`\n${formatBanner(endpoints, sandbox.endpointsFile, otlp)}\n`);
}

void main();
