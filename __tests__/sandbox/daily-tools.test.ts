/**
 * The daily tools without a sandbox: Lambda's REPORT line, naming functions and routes, the sample events, the
 * endpoints file (found, stale, missing), `check-traces --env local` settings from it (every missing setting at
 * once), and `npm run mailbox` piped into `head`.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { endpointsRecord } from '../../sandbox/daily/hooks';
import { findSandbox, removeEndpoints, SandboxNotFoundError, writeEndpoints } from '../../sandbox/daily/state-file';
import { billedDurationMs, logTail, parseReportLine, reportLine } from '../../sandbox/lambda/platform-log';
import { FUNCTIONS, LAMBDA_ROUTES } from '../../system/definition';
import { ConfigError, resolveConfig } from '../../tools/check-traces/config';
import { main as invokeMain } from '../../tools/invoke/cli';
import { EVENTS_DIR, resolveFunction, sampleFor, SAMPLE_EVENTS } from '../../tools/invoke/functions';

const REPO = path.resolve(__dirname, '../..');
const TSX_CLI = path.join(REPO, 'node_modules/tsx/dist/cli.mjs');
const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-tools-'));

function fakeEndpoints(url: string, pid = process.pid) {
  const record = endpointsRecord({
    url,
    // Each API on its own origin, as the sandbox runs them.
    apis: { questions: 'http://127.0.0.1:3991', mysfits: 'http://127.0.0.1:3992', clicks: 'http://127.0.0.1:3993' },
    xrayEndpoint: 'http://127.0.0.1:2999',
    dynamodbEndpoint: 'http://127.0.0.1:8999',
    fauxqsEndpoint: 'http://127.0.0.1:4999',
    lambdaEndpoint: 'http://127.0.0.1:9999',
    resources: {
      questionsTable: 'q',
      mysfitsTable: 'm',
      questionsStreamArn: 'arn:s',
      topicArn: 'arn:t',
      mailboxQueueUrl: 'http://127.0.0.1:4999/000000000000/mailbox',
      onFailureQueueUrl: 'http://127.0.0.1:4999/000000000000/failures',
      onFailureQueueArn: 'arn:q',
      clicksBucket: 'b',
      deliveryStream: 'd',
    },
  });
  return { ...record, pid };
}

describe("Lambda's REPORT line", () => {
  test('tab-separated fields in order, each followed by a tab; Init Duration and X-Ray only when they apply', () => {
    const cold = reportLine({
      requestId: 'r-1',
      durationMs: 12.345,
      memorySizeMb: 256,
      maxMemoryUsedMb: 60.2,
      initDurationMs: 200.5,
      xray: { traceId: '1-6b112dbf-8d2a7676bc989dd9a34a08ee', segmentId: 'a8bc0334d4a05cd7', sampled: true },
    });
    expect(cold).toBe(
      'REPORT RequestId: r-1\tDuration: 12.35 ms\tBilled Duration: 213 ms\tMemory Size: 256 MB\t' +
        'Max Memory Used: 61 MB\tInit Duration: 200.50 ms\t' +
        'XRAY TraceId: 1-6b112dbf-8d2a7676bc989dd9a34a08ee\tSegmentId: a8bc0334d4a05cd7\tSampled: true\t\n',
    );
    const warm = reportLine({ requestId: 'r-2', durationMs: 0.2, memorySizeMb: 256, maxMemoryUsedMb: 61 });
    expect(warm).toBe(
      'REPORT RequestId: r-2\tDuration: 0.20 ms\tBilled Duration: 1 ms\tMemory Size: 256 MB\t' +
        'Max Memory Used: 61 MB\t\n',
    );
    expect(parseReportLine(cold)).toMatchObject({ RequestId: 'r-1', 'Init Duration': '200.50 ms', Sampled: 'true' });
  });

  test('billed duration rounds up to the millisecond and includes the init phase', () => {
    expect(billedDurationMs(1.01)).toBe(2);
    expect(billedDurationMs(10, 100.2)).toBe(111);
  });

  test('the log tail is the last 4 KB', () => {
    const text = `${'a'.repeat(5000)}END`;
    expect(Buffer.byteLength(logTail(text))).toBe(4096);
    expect(logTail(text).endsWith('END')).toBe(true);
  });
});

describe('naming functions and routes; sample events', () => {
  test('a function by key, short name, local name or ARN', () => {
    for (const name of [
      'postQuestion',
      'post-question',
      'mysfits-local-post-question',
      'arn:aws:lambda:us-east-1:000000000000:function:mysfits-local-post-question',
    ]) {
      expect(resolveFunction(name)).toBe('postQuestion');
    }
    expect(() => resolveFunction('post-questions')).toThrow(
      /unknown function "post-questions"; the functions are: post-question/,
    );
  });

  test('every function and every route has a sample event, of the right shape', () => {
    for (const key of Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[])
      expect(sampleFor(FUNCTIONS[key].name).function).toBe(key);
    for (const route of LAMBDA_ROUTES) {
      const sample = sampleFor(`${route.method.toLowerCase()}  ${route.path}`);
      const event = JSON.parse(fs.readFileSync(path.join(EVENTS_DIR, sample.file), 'utf8'));
      expect([event.httpMethod, event.resource, sample.function]).toEqual([route.method, route.path, route.function]);
    }
    expect(() => sampleFor('DELETE /mysfits')).toThrow(
      /unknown route "DELETE \/mysfits"; the routes served by functions are: "POST \/questions"/,
    );
    expect(SAMPLE_EVENTS.every((s) => fs.existsSync(path.join(EVENTS_DIR, s.file)))).toBe(true);
  });

  test('--generate prints a sample; a missing --event file names the setting', async () => {
    const out = { stdout: '', stderr: '' };
    const io = {
      stdout: (t: string) => void (out.stdout += t),
      stderr: (t: string) => void (out.stderr += t),
      readStdin: async () => '',
      env: {},
    };
    expect(await invokeMain(['--generate', 'GET /mysfits/{mysfitId}'], io)).toBe(0);
    expect(JSON.parse(out.stdout).resource).toBe('/mysfits/{mysfitId}');
    expect(await invokeMain(['mysfits-api', '--event', '/nonexistent/event.json'], io)).toBe(2);
    expect(out.stderr).toContain('--event: cannot read /nonexistent/event.json: file not found');
  });
});

describe('the endpoints file', () => {
  test('found while its process runs; missing or stale, the error says how to start one', () => {
    const dir = tempDir();
    expect(() => findSandbox({ SANDBOX_STATE_DIR: dir })).toThrow(
      /no running sandbox: .*endpoints.json does not exist \(start one with npm start/,
    );
    writeEndpoints(dir, fakeEndpoints('http://127.0.0.1:3999'));
    expect(findSandbox({ SANDBOX_STATE_DIR: dir }).url).toBe('http://127.0.0.1:3999');
    writeEndpoints(dir, fakeEndpoints('http://127.0.0.1:3999', 2 ** 22 + 12345)); // no such process
    expect(() => findSandbox({ SANDBOX_STATE_DIR: dir })).toThrow(SandboxNotFoundError);
    removeEndpoints(dir); // not ours: left alone
    expect(fs.existsSync(path.join(dir, 'endpoints.json'))).toBe(true);
  });
});

describe('check-traces settings', () => {
  test('--env local with nothing else reads the running sandbox', () => {
    const dir = tempDir();
    writeEndpoints(dir, fakeEndpoints('http://127.0.0.1:3999'));
    const config = resolveConfig({ env: 'local' }, { SANDBOX_STATE_DIR: dir });
    expect(config.apiUrls).toEqual({
      questions: 'http://127.0.0.1:3991',
      mysfits: 'http://127.0.0.1:3992',
      clicks: 'http://127.0.0.1:3993',
    });
    expect(config.endpoint).toBe('http://127.0.0.1:2999');
    expect(config.region).toBe('us-east-1');
    // A flag still wins over the file.
    expect(
      resolveConfig({ env: 'local', questionsApi: 'http://127.0.0.1:1' }, { SANDBOX_STATE_DIR: dir }).apiUrls.questions,
    ).toBe('http://127.0.0.1:1');
  });

  test('--env local without a sandbox names every missing setting at once', () => {
    const dir = tempDir();
    let error: ConfigError | undefined;
    try {
      resolveConfig({ env: 'local' }, { SANDBOX_STATE_DIR: dir });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    for (const setting of ['--mysfits-api', '--questions-api', '--clicks-api', '--endpoint']) {
      expect(error!.message).toMatch(new RegExp(`^  ${setting}: not given.*no running sandbox`, 'm'));
    }
  });

  test('another environment: every missing or wrong setting in one error', () => {
    expect(() => resolveConfig({ env: 'dev', timeoutSeconds: '-1' }, {})).toThrow(
      new RegExp(
        String.raw`5 settings to fix:\n {2}--mysfits-api: not given.*\n {2}--questions-api: not given.*` +
          String.raw`\n {2}--clicks-api: not given.*\n {2}--region: not given.*\n {2}--timeout: "-1"`,
      ),
    );
  });
});

describe('npm run mailbox', () => {
  test('finds the sandbox through the endpoints file and survives a closed pipe (| head)', async () => {
    const messages = Array.from({ length: 3000 }, (_, i) => ({
      messageId: `m${i}`,
      subject: `Question ${i}`,
      message: 'x'.repeat(200),
      timestamp: new Date().toISOString(),
    }));
    const server = http.createServer((req, res) => {
      res.writeHead(req.url === '/_sandbox/mailbox.json' ? 200 : 404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ messages }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const dir = tempDir();
    writeEndpoints(dir, fakeEndpoints(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
    try {
      const child = spawn(
        'bash',
        [
          '-c',
          `"${process.execPath}" "${TSX_CLI}" sandbox/mailbox/cli.ts | head -n 2; echo "status \${PIPESTATUS[0]}" >&2`,
        ],
        {
          cwd: REPO,
          env: { ...process.env, SANDBOX_STATE_DIR: dir, SANDBOX_URL: '' },
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      await new Promise((resolve) => child.once('exit', resolve));
      expect(stdout).toMatch(/^── .* {2}Question 0\n/);
      expect(stderr.trim()).toBe('status 0');
    } finally {
      server.close();
    }
  });
});
