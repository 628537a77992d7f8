/**
 * `npm run replay-questions -- --env <env> [--grace-minutes <n>] [--dry-run]` (AWS, region from the environment's
 * config) or `-- --sandbox` (the local sandbox of `npm start`): e-mails, exactly once, every question the
 * stream could not e-mail (./replay). Exit 0 when every candidate was handled, 1 when some still fail (run it
 * again later), 2 on a usage or configuration error naming the setting.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Command, CommanderError } from 'commander';
import { ConfigError, loadEnvironment } from '../../config/load';
import { LOCAL_CREDENTIALS, LOCAL_ENV, LOCAL_REGION } from '../../sandbox/local-aws';
import { names, SANDBOX_PORTS } from '../../system/definition';
import { DEFAULT_GRACE_MINUTES, replayQuestions, type ReplayClients, type ReplayTargets } from './replay';

export const EXIT = { ok: 0, someFailed: 1, usage: 2 } as const;

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

interface CliOptions {
  env?: string;
  sandbox?: boolean;
  region?: string;
  dynamodbEndpoint: string;
  fauxqsEndpoint: string;
  graceMinutes: string;
  dryRun?: boolean;
}

class UsageError extends Error {}

function program(io: CliIO) {
  return new Command('replay-questions')
    .description('E-mail, exactly once, the questions the stream could not e-mail, and clear the on-failure queue.')
    .option(
      '--env <env>',
      'deployed environment (dev, prod, ...): names and region from config/environments/<env>.json',
    )
    .option('--sandbox', 'the local sandbox (`npm start`) instead of AWS')
    .option('--region <region>', 'AWS region (default: the environment config)')
    .option('--dynamodb-endpoint <url>', 'sandbox DynamoDB Local', `http://127.0.0.1:${SANDBOX_PORTS.dynamodb}`)
    .option('--fauxqs-endpoint <url>', 'sandbox fauxqs (SNS, SQS)', `http://127.0.0.1:${SANDBOX_PORTS.fauxqs}`)
    .option(
      '--grace-minutes <n>',
      'leave younger questions to the stream unless an on-failure message names them',
      String(DEFAULT_GRACE_MINUTES),
    )
    .option('--dry-run', 'list what would be sent; send, mark and delete nothing')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .allowExcessArguments(false);
}

function graceMs(options: CliOptions): number {
  const minutes = Number(options.graceMinutes);
  if (!/^\d+$/.test(options.graceMinutes) || !Number.isSafeInteger(minutes)) {
    throw new UsageError(`--grace-minutes: "${options.graceMinutes}" must be a whole number of minutes (0 or more)`);
  }
  return minutes * 60_000;
}

/** The AWS (or sandbox) clients and the environment's names. */
function connect(options: CliOptions): { clients: ReplayClients & { destroy(): void }; env: string; region: string } {
  if (options.sandbox && options.env) throw new UsageError('--env and --sandbox: give one of them, not both');
  if (!options.sandbox && !options.env)
    throw new UsageError('--env <env> is required (or --sandbox for the local sandbox)');
  const env = options.sandbox ? LOCAL_ENV : options.env!;
  const region = options.sandbox ? LOCAL_REGION : (options.region ?? loadEnvironment(env).config.region);
  const local = (endpoint: string) => (options.sandbox ? { endpoint, credentials: LOCAL_CREDENTIALS } : {});
  const dynamodb = new DynamoDBClient({ region, ...local(options.dynamodbEndpoint) });
  const sns = new SNSClient({ region, ...local(options.fauxqsEndpoint) });
  const sqs = new SQSClient({ region, ...local(options.fauxqsEndpoint) });
  return {
    env,
    region,
    clients: {
      dynamodb,
      sns,
      sqs,
      destroy: () => {
        for (const client of [dynamodb, sns, sqs]) client.destroy();
      },
    },
  };
}

async function findTopicArn(clients: ReplayClients, topicName: string, region: string): Promise<string> {
  let next: string | undefined;
  do {
    const page = await clients.sns.send(new ListTopicsCommand({ NextToken: next }));
    const found = page.Topics?.find((t) => t.TopicArn?.endsWith(`:${topicName}`));
    if (found?.TopicArn) return found.TopicArn;
    next = page.NextToken;
  } while (next);
  throw new ConfigError(
    `topic ${topicName} not found in ${region} (is the environment deployed, or the sandbox running?)`,
  );
}

async function resolveTargets(clients: ReplayClients, env: string, region: string): Promise<ReplayTargets> {
  const queueName = names.streamFailureQueue(env);
  let onFailureQueueUrl: string | undefined;
  try {
    onFailureQueueUrl = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl;
  } catch (err) {
    throw new ConfigError(`on-failure queue ${queueName} not found in ${region}: ${(err as Error).message}`);
  }
  return {
    tableName: names.table(env, 'questions'),
    topicArn: await findTopicArn(clients, names.topic(env), region),
    onFailureQueueUrl: onFailureQueueUrl!,
  };
}

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const command = program(io);
  try {
    command.parse(argv as string[], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed') return EXIT.ok;
      io.stderr('replay-questions: usage error (see --help)\n');
      return EXIT.usage;
    }
    throw err;
  }
  const options = command.opts<CliOptions>();
  let connection: ReturnType<typeof connect> | undefined;
  try {
    const grace = graceMs(options);
    connection = connect(options);
    const targets = await resolveTargets(connection.clients, connection.env, connection.region);
    const report = await replayQuestions(connection.clients, targets, {
      graceMs: grace,
      dryRun: options.dryRun,
      log: (line) => io.stderr(`${line}\n`),
    });
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return report.failed.length > 0 ? EXIT.someFailed : EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      io.stderr(`replay-questions: ${err.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`replay-questions: ${(err as Error).stack ?? err}\n`);
    return EXIT.usage;
  } finally {
    connection?.clients.destroy();
  }
}

if (require.main === module) {
  main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  }).then((code) => {
    process.exitCode = code;
  });
}
