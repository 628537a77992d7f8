/**
 * The sandbox as a daily tool, on one started sandbox: the Lambda API runs one function with each sample event
 * (also through `npm run invoke`'s main and the real AWS CLI), every invocation logs Lambda's START/END/REPORT
 * lines to its function's log file (`npm run logs`), refused requests are logged, and Debian's AWS CLI v2 works
 * against DynamoDB, SNS, S3, X-Ray and Lambda with arbitrary credentials.
 */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { execFile } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { FREE_PORTS, startSandbox, type Sandbox } from '../../sandbox/index';
import { parseReportLine } from '../../sandbox/lambda/platform-log';
import { EVENTS_DIR, SAMPLE_EVENTS } from '../../tools/invoke/functions';
import { main as invokeMain } from '../../tools/invoke/cli';
import { main as logsMain } from '../../tools/logs/cli';
import { main as checkTracesMain } from '../../tools/check-traces/cli';
import { localNames } from '../../sandbox/local-aws';
import { FUNCTIONS } from '../../system/definition';

const AWS_CLI = '/usr/bin/aws';
const run = promisify(execFile);
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-daily-'));
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ ...FREE_PORTS, lambdaPort: 0, stateDir });
});

afterAll(async () => {
  await sandbox?.stop();
});

async function invoke(functionName: string, payload: string, headers: Record<string, string> = {}) {
  const res = await fetch(
    `${sandbox.lambdaEndpoint}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`,
    {
      method: 'POST',
      headers: { 'X-Amz-Log-Type': 'Tail', ...headers },
      body: payload,
    },
  );
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text,
    json: () => JSON.parse(text),
    log: Buffer.from(res.headers.get('X-Amz-Log-Result') ?? '', 'base64').toString('utf8'),
  };
}

const sample = (file: string) => fs.readFileSync(path.join(EVENTS_DIR, file), 'utf8');
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('the Lambda API runs one function with each sample event', () => {
  test.each(SAMPLE_EVENTS.map((s) => [s.file, s] as const))('%s succeeds', async (_file, event) => {
    const answer = await invoke(localNames.function(event.function), sample(event.file));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('X-Amz-Function-Error')).toBeNull();
    const result = answer.json();
    if (event.route) {
      expect(result.statusCode).toBe(event.route.startsWith('POST') ? 201 : 200);
    } else if (event.function === 'processQuestionsStream') {
      expect(result).toEqual({ batchItemFailures: [] });
    } else {
      expect(result.records.map((r: { result: string }) => r.result)).toEqual(['Ok', 'Ok']);
    }
  });

  test('every invocation logs START, END and REPORT as Lambda does; Init Duration only on a cold start', async () => {
    const name = localNames.function('mysfitsApi');
    const first = await invoke(name, sample('mysfits-api.list.json'));
    const second = await invoke(name, sample('mysfits-api.list.json'));
    for (const answer of [first, second]) {
      const lines = answer.log.replace(/\n$/, '').split('\n');
      const requestId = answer.headers.get('x-amzn-RequestId')!;
      expect(requestId).toMatch(REQUEST_ID);
      expect(lines[0]).toBe(`START RequestId: ${requestId} Version: $LATEST`);
      expect(lines.at(-2)).toBe(`END RequestId: ${requestId}`);
      expect(lines.at(-1)).toMatch(
        new RegExp(
          String.raw`^REPORT RequestId: \S+\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\t` +
            String.raw`Max Memory Used: \d+ MB\t(Init Duration: \d+\.\d{2} ms\t)?` +
            String.raw`XRAY TraceId: 1-[0-9a-f]{8}-[0-9a-f]{24}\tSegmentId: [0-9a-f]{16}\tSampled: true\t$`,
        ),
      );
      const report = parseReportLine(lines.at(-1)!)!;
      expect(report['XRAY TraceId']).toBe(/Root=([^;]+)/.exec(answer.headers.get('X-Amzn-Trace-Id')!)![1]);
      expect(Number(report['Max Memory Used'].split(' ')[0])).toBeGreaterThan(10);
    }
    // The environment has served a request before (the sample test above): no Init Duration. A cold start's
    // REPORT is checked in the log file below.
    expect(parseReportLine(second.log.replace(/\n$/, '').split('\n').at(-1)!)!['Init Duration']).toBeUndefined();
  });

  test('the function log file keeps every invocation, the first one with its Init Duration', async () => {
    const file = path.join(stateDir, 'logs', `${localNames.function('postQuestion')}.log`);
    const text = fs.readFileSync(file, 'utf8');
    const reports = text.split('\n').filter((line) => line.startsWith('REPORT '));
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(parseReportLine(reports[0])!['Init Duration']).toMatch(/^\d+\.\d{2} ms$/);
    expect(text).toMatch(/^START RequestId: \S+ Version: \$LATEST$/m);
    expect(text).toContain('"message":"question stored"');
  });

  test('a refused request is logged by the handler (mysfits-api: an unknown mysfit)', async () => {
    const event = JSON.parse(sample('mysfits-api.get.json'));
    event.pathParameters = { mysfitId: 'no-such-mysfit' };
    const answer = await invoke(localNames.function('mysfitsApi'), JSON.stringify(event));
    expect(answer.json().statusCode).toBe(404);
    const line = answer.log.split('\n').find((l) => l.startsWith('{'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ level: 'WARN', statusCode: 404 });
  });

  test("the call's own errors are Lambda's: unknown function (naming the others), bad JSON, bad header", async () => {
    const unknown = await invoke('mysfits-local-nope', '{}');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-amzn-ErrorType')).toBe('ResourceNotFoundException');
    expect(unknown.json().message).toContain(localNames.function('postQuestion'));
    const badJson = await invoke(localNames.function('postQuestion'), '{not json');
    expect(badJson.status).toBe(400);
    expect(badJson.headers.get('x-amzn-ErrorType')).toBe('InvalidRequestContentException');
    const badLogType = await invoke(localNames.function('postQuestion'), '{}', { 'X-Amz-Log-Type': 'Everything' });
    expect(badLogType.status).toBe(400);
    expect(badLogType.json().message).toContain('X-Amz-Log-Type');
    // By ARN, as SDKs also name functions.
    const byArn = await invoke(localNames.functionArn('mysfitsApi'), sample('mysfits-api.list.json'));
    expect(byArn.status).toBe(200);
  });
});

describe('the Lambda API is as closed as the other sandbox servers', () => {
  /** A POST with exactly this Host header (fetch sets its own). */
  function postWithHost(host: string, body: string): Promise<{ status: number; body: string }> {
    const url = new URL(
      `${sandbox.lambdaEndpoint}/2015-03-31/functions/${localNames.function('mysfitsApi')}/invocations`,
    );
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: Number(url.port),
          method: 'POST',
          path: url.pathname,
          headers: { Host: host, 'Content-Type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  test('a foreign Host (DNS rebinding) is refused with 403 naming it, and nothing is invoked', async () => {
    const logFile = path.join(stateDir, 'logs', `${localNames.function('mysfitsApi')}.log`);
    const startsBefore = (fs.readFileSync(logFile, 'utf8').match(/^START /gm) ?? []).length;
    const refused = await postWithHost('evil.example', sample('mysfits-api.list.json'));
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toEqual({ message: 'Forbidden', detail: expect.stringContaining('evil.example') });
    // Its own loopback name is served (what the AWS CLI and SDKs send).
    const served = await postWithHost(new URL(sandbox.lambdaEndpoint).host, sample('mysfits-api.list.json'));
    expect(served.status).toBe(200);
    // The log file is appended as the function's output arrives: wait for the served call's START, then count.
    const starts = () => (fs.readFileSync(logFile, 'utf8').match(/^START /gm) ?? []).length;
    for (const deadline = Date.now() + 5000; starts() <= startsBefore && Date.now() < deadline; )
      await new Promise((r) => setTimeout(r, 50));
    expect(starts()).toBe(startsBefore + 1);
  });

  test('it listens on 127.0.0.1 only: another address of this machine is refused', async () => {
    const port = Number(new URL(sandbox.lambdaEndpoint).port);
    // 127.0.0.2 reaches this machine too (all of 127/8 is loopback), but not a socket bound to 127.0.0.1 alone.
    const outcome = await new Promise<string>((resolve) => {
      const socket = net.connect({ host: '127.0.0.2', port }, () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    expect(outcome).toBe('ECONNREFUSED');
  });
});

describe('npm run invoke and npm run logs', () => {
  const env = { ...process.env, SANDBOX_STATE_DIR: stateDir };
  const capture = () => {
    const out = { stdout: '', stderr: '' };
    return {
      out,
      io: {
        stdout: (t: string) => void (out.stdout += t),
        stderr: (t: string) => void (out.stderr += t),
        readStdin: async () => sample('post-question.json'),
        env,
        untilStopped: async () => undefined,
      },
    };
  };

  test('invoke prints the result, the log lines and the trace with its console link', async () => {
    const { out, io } = capture();
    expect(await invokeMain(['post-question', '--event', '-'], io)).toBe(0);
    expect(out.stdout).toContain('"statusCode": 201');
    expect(out.stdout).toMatch(/^START RequestId: /m);
    expect(out.stdout).toMatch(/^REPORT RequestId: /m);
    const traceId = /── trace (1-\S+)/.exec(out.stdout)![1];
    expect(out.stdout).toContain(`${sandbox.xrayEndpoint}/traces/${traceId}`);
  });

  test('an unknown function is a usage error that lists the functions', async () => {
    const { out, io } = capture();
    expect(await invokeMain(['post-questions'], io)).toBe(2);
    for (const key of Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[])
      expect(out.stderr).toContain(FUNCTIONS[key].name);
  });

  test("logs prints one function's log file", async () => {
    const { out, io } = capture();
    expect(await logsMain(['process-clicks'], io)).toBe(0);
    expect(out.stdout).toMatch(/^REPORT RequestId: \S+\tDuration: /m);
    expect(out.stdout).not.toContain('question stored');
  });

  test('logs --follow prints the lines of an invocation made while it follows', async () => {
    const { out, io } = capture();
    let requestId = '';
    const following = logsMain(['mysfits-api', '--follow'], {
      ...io,
      untilStopped: async () => {
        const before = out.stdout.length;
        const answer = await invoke(localNames.function('mysfitsApi'), sample('mysfits-api.list.json'));
        requestId = answer.headers.get('x-amzn-RequestId')!;
        const deadline = Date.now() + 5000;
        while (!out.stdout.slice(before).includes(`REPORT RequestId: ${requestId}`) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
        }
      },
    });
    expect(await following).toBe(0);
    expect(out.stdout).toContain(`START RequestId: ${requestId} Version: $LATEST`);
    expect(out.stdout).toContain(`REPORT RequestId: ${requestId}\t`);
  });
});

describe('npm run check-traces -- --env local', () => {
  test('with no other flag, checks the running sandbox found through its endpoints file', async () => {
    const saved = process.env.SANDBOX_STATE_DIR;
    process.env.SANDBOX_STATE_DIR = stateDir;
    const out = { stdout: '', stderr: '' };
    try {
      const code = await checkTracesMain(
        ['--env', 'local', '--out-dir', path.join(stateDir, 'report'), '--latency-budget-factor', '5'],
        {
          stdout: (t) => void (out.stdout += t),
          stderr: (t) => void (out.stderr += t),
        },
      );
      expect({ code, stderr: code === 0 ? '' : out.stderr }).toEqual({ code: 0, stderr: '' });
      expect(out.stderr).toContain(`X-Ray: ${sandbox.xrayEndpoint}`);
      expect(out.stdout).toContain('OK: traced end to end');
    } finally {
      if (saved === undefined) delete process.env.SANDBOX_STATE_DIR;
      else process.env.SANDBOX_STATE_DIR = saved;
    }
  });
});

describe("the AWS CLI v2 (Debian's /usr/bin/aws) against the sandbox, with any credentials", () => {
  beforeAll(() => {
    // Not a skip: a machine without the CLI must fail here, loudly (.ci/run installs the awscli package).
    if (!fs.existsSync(AWS_CLI))
      throw new Error(`${AWS_CLI} is missing: install Debian's awscli package (apt-get install awscli)`);
  });

  const aws = async (region: string, ...args: string[]) => {
    const { stdout } = await run(AWS_CLI, ['--region', region, '--output', 'json', ...args], {
      env: {
        PATH: process.env.PATH,
        HOME: os.tmpdir(),
        AWS_ACCESS_KEY_ID: 'anything',
        AWS_SECRET_ACCESS_KEY: 'anything-else',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_PAGER: '',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      timeout: 60_000,
    });
    return stdout.trim() ? JSON.parse(stdout) : undefined;
  };

  test('DynamoDB: the same tables whatever the key and region', async () => {
    const tables = await aws('eu-west-3', 'dynamodb', 'list-tables', '--endpoint-url', sandbox.dynamodbEndpoint);
    expect(tables.TableNames).toEqual(expect.arrayContaining([localNames.questionsTable, localNames.mysfitsTable]));
    const count = await aws(
      'ap-southeast-2',
      'dynamodb',
      'scan',
      '--endpoint-url',
      sandbox.dynamodbEndpoint,
      '--table-name',
      localNames.mysfitsTable,
      '--select',
      'COUNT',
    );
    expect(count.Count).toBe(12);
  });

  test('SNS and S3', async () => {
    const topics = await aws('us-east-1', 'sns', 'list-topics', '--endpoint-url', sandbox.fauxqsEndpoint);
    expect(topics.Topics).toContainEqual({ TopicArn: sandbox.resources.topicArn });
    const buckets = await aws('us-east-1', 's3api', 'list-buckets', '--endpoint-url', sandbox.fauxqsEndpoint);
    expect(buckets.Buckets.map((b: { Name: string }) => b.Name)).toContain(localNames.clicksBucket);
  });

  test('X-Ray: the traces of the invocations above', async () => {
    const now = Math.floor(Date.now() / 1000);
    const summaries = await aws(
      'us-east-1',
      'xray',
      'get-trace-summaries',
      '--endpoint-url',
      sandbox.xrayEndpoint,
      '--start-time',
      String(now - 600),
      '--end-time',
      String(now + 60),
    );
    expect(summaries.TraceSummaries.length).toBeGreaterThan(0);
  });

  test('Lambda: aws lambda invoke with --log-type Tail', async () => {
    const outFile = path.join(stateDir, 'answer.json');
    const answer = await aws(
      'us-east-1',
      'lambda',
      'invoke',
      '--endpoint-url',
      sandbox.lambdaEndpoint,
      '--function-name',
      localNames.function('mysfitsApi'),
      '--cli-binary-format',
      'raw-in-base64-out',
      '--payload',
      `file://${path.join(EVENTS_DIR, 'mysfits-api.list.json')}`,
      '--log-type',
      'Tail',
      outFile,
    );
    expect(answer.StatusCode).toBe(200);
    expect(Buffer.from(answer.LogResult, 'base64').toString('utf8')).toMatch(/^REPORT RequestId: /m);
    expect(JSON.parse(fs.readFileSync(outFile, 'utf8')).statusCode).toBe(200);
  });

  test("SQS (CLI 2.9 speaks its query protocol): list, attributes, receive the sample batch's e-mail", async () => {
    const { mailboxQueueUrl } = sandbox.resources;
    const queues = await aws('us-east-1', 'sqs', 'list-queues', '--endpoint-url', sandbox.fauxqsEndpoint);
    expect(queues.QueueUrls).toEqual(expect.arrayContaining([mailboxQueueUrl, sandbox.resources.onFailureQueueUrl]));
    const attributes = await aws(
      'us-east-1',
      'sqs',
      'get-queue-attributes',
      '--endpoint-url',
      sandbox.fauxqsEndpoint,
      '--queue-url',
      mailboxQueueUrl,
      '--attribute-names',
      'All',
    );
    expect(Number(attributes.Attributes.ApproximateNumberOfMessages)).toBeGreaterThan(0);
    // Visibility 0: the message stays for whoever reads the mailbox next.
    const received = await aws(
      'us-east-1',
      'sqs',
      'receive-message',
      '--endpoint-url',
      sandbox.fauxqsEndpoint,
      '--queue-url',
      mailboxQueueUrl,
      '--max-number-of-messages',
      '10',
      '--visibility-timeout',
      '0',
    );
    expect(received.Messages.map((m: { Body: string }) => JSON.parse(m.Body).Message).join('\n')).toContain(
      'ana@example.com asked a question',
    );
    // A missing queue is SQS's query-protocol error, and batch calls are refused, not half done.
    await expect(
      aws(
        'us-east-1',
        'sqs',
        'get-queue-url',
        '--endpoint-url',
        sandbox.fauxqsEndpoint,
        '--queue-name',
        'no-such-queue',
      ),
    ).rejects.toThrow(/AWS\.SimpleQueueService\.NonExistentQueue/);
    await expect(
      aws(
        'us-east-1',
        'sqs',
        'delete-message-batch',
        '--endpoint-url',
        sandbox.fauxqsEndpoint,
        '--queue-url',
        mailboxQueueUrl,
        '--entries',
        'Id=a,ReceiptHandle=b',
      ),
    ).rejects.toThrow(/DeleteMessageBatch is not available over SQS's query protocol/);
  });

  test('SQS: the queue URLs the sandbox hands out resolve on this machine and answer', async () => {
    for (const queueUrl of [sandbox.resources.mailboxQueueUrl, sandbox.resources.onFailureQueueUrl]) {
      const url = new URL(queueUrl);
      await expect(lookup(url.hostname)).resolves.toMatchObject({ address: '127.0.0.1' });
      // The URL's own origin as the endpoint: what a client that only has the queue URL would do.
      const sqs = new SQSClient({
        region: 'us-east-1',
        endpoint: url.origin,
        credentials: { accessKeyId: 'anything', secretAccessKey: 'x' },
      });
      try {
        const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
        expect(out.Attributes?.QueueArn).toMatch(/^arn:aws:sqs:us-east-1:\d{12}:mysfits-local-/);
      } finally {
        sqs.destroy();
      }
    }
  });
});
