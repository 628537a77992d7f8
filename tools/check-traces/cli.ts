/**
 * `npm run check-traces -- --env <env> [...]`: exit 0 when the environment is traced end to end, 1 when the
 * contract is broken (the output names the missing edge, the slow node or the fault), 2 on a usage or
 * configuration error (naming the setting). Progress goes to stderr, the report to stdout and `--out-dir`.
 */
import { Command, CommanderError, Option } from 'commander';
import * as path from 'node:path';
import { runCheck } from './check';
import { ConfigError, DEFAULT_OUT_DIR, DEFAULT_TIMEOUT_SECONDS } from './config';
import { formatReport } from './report/text';
import { writeReport } from './report/write';

export const EXIT = { ok: 0, broken: 1, usage: 2 } as const;

interface CliOptions {
  env?: string;
  outputsFile?: string;
  mysfitsApi?: string;
  questionsApi?: string;
  clicksApi?: string;
  endpoint?: string;
  region?: string;
  timeout?: string;
  latencyBudgetFactor?: string;
  outDir: string;
  json?: boolean;
  pollInterval?: string;
  transactionSearch?: boolean;
}

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

function program(io: CliIO) {
  return new Command('check-traces')
    .description('Probe an environment and prove, from X-Ray, that it is traced end to end.')
    .option(
      '--env <env>',
      'environment to check (dev, prod, ...; local = the running sandbox, found through its endpoints file)',
    )
    .option('--outputs-file <file>', 'endpoints from `cdktf output --outputs-file <file>`')
    .option('--mysfits-api <url>', 'mysfits API endpoint (overrides the outputs)')
    .option('--questions-api <url>', 'questions API endpoint (overrides the outputs)')
    .option('--clicks-api <url>', 'clicks (streaming) API endpoint (overrides the outputs)')
    .option('--endpoint <url>', 'X-Ray endpoint, e.g. http://127.0.0.1:2000 for the sandbox')
    .option('--region <region>', 'AWS region (default: outputs, then AWS_REGION)')
    .option('--timeout <seconds>', `overall wait for the traces (default ${DEFAULT_TIMEOUT_SECONDS})`)
    .option(
      '--latency-budget-factor <n>',
      'multiply every latency budget (slower environments, e.g. the sandbox in CI)',
    )
    .option('--out-dir <dir>', 'where report.json, service-map.mmd and report.html go', DEFAULT_OUT_DIR)
    .option('--json', 'print the JSON report to stdout instead of the tables')
    .option(
      '--transaction-search',
      'read traces through CloudWatch Transaction Search (default: ask X-Ray for the segment destination)',
    )
    .option('--no-transaction-search', 'read traces with BatchGetTraces without asking')
    .addOption(new Option('--poll-interval <ms>', 'first wait between X-Ray polls (then backoff)').hideHelp())
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .allowExcessArguments(false);
}

export async function main(argv: readonly string[], io: CliIO = defaultIO): Promise<number> {
  const command = program(io);
  try {
    command.parse(argv as string[], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
      io.stderr('check-traces: usage error (see --help)\n');
      return EXIT.usage;
    }
    throw err;
  }
  const options = command.opts<CliOptions>();
  let pollIntervalMs: number | undefined;
  if (options.pollInterval !== undefined) {
    pollIntervalMs = Number(options.pollInterval);
    if (!Number.isFinite(pollIntervalMs) || pollIntervalMs < 10) {
      io.stderr(
        `check-traces: configuration error: --poll-interval: "${options.pollInterval}" must be at least 10 (ms)\n`,
      );
      return EXIT.usage;
    }
  }
  try {
    const report = await runCheck({
      env: options.env,
      outputsFile: options.outputsFile,
      mysfitsApi: options.mysfitsApi,
      questionsApi: options.questionsApi,
      clicksApi: options.clicksApi,
      endpoint: options.endpoint,
      region: options.region,
      timeoutSeconds: options.timeout,
      latencyBudgetFactor: options.latencyBudgetFactor,
      outDir: options.outDir,
      pollIntervalMs,
      transactionSearch: options.transactionSearch,
      onProgress: (line) => io.stderr(`${line}\n`),
    });
    const files = writeReport(report, options.outDir);
    if (options.json) {
      io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      io.stdout(`${formatReport(report)}\n`);
      io.stdout(
        `\nReport: ${path.relative(process.cwd(), files.html)}, ${path.relative(process.cwd(), files.mermaid)}, ` +
          `${path.relative(process.cwd(), files.json)}\n`,
      );
    }
    return report.exitCode;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`check-traces: configuration error: ${err.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`check-traces: could not run the check: ${(err as Error).stack ?? err}\n`);
    return EXIT.usage;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
