/**
 * A stream execution environment killed mid-batch: the bundle in the sandbox's function runtime, fed by the
 * sandbox's stream poller from DynamoDB Local, publishing to fauxqs through a proxy the test controls. The proxy
 * lets the first publishes of the batch through and holds the rest; once the published ones are marked, the
 * environment is killed (SIGKILL). Lambda's retry (here the poller's) runs the batch again in a new environment:
 * every question that got a 201 is e-mailed exactly once.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ENV, names, QUESTIONS_STREAM_MAPPING } from '../../system/definition';
import { startFunctionRuntime, type FunctionRuntime } from '../../sandbox/lambda/function-runtime';
import { startStreamPoller, type StreamPoller } from '../../sandbox/streams/stream-poller';
import {
  createTable,
  createTopicWithQueue,
  CREDENTIALS,
  dynamoDbClient,
  lambdaContext,
  loadHandler,
  REGION,
  scanTable,
  startLocalAws,
  type LocalAws,
  type TopicWithQueue,
} from '../support/local-aws';
import { descendants } from '../support/processes';

const TABLE = 'questions-crash-test';
const QUESTIONS = QUESTIONS_STREAM_MAPPING.batchSize; // one full batch
const LET_THROUGH = 4;

let aws: LocalAws;
let topic: TopicWithQueue;
let proxy: SnsProxy;
let runtime: FunctionRuntime | undefined;
let poller: StreamPoller | undefined;
let streams: DynamoDBStreamsClient;

interface SnsProxy {
  url: string;
  passed: number;
  held: http.ServerResponse[];
  /** From now on every request goes through. */
  release(): void;
  close(): Promise<void>;
}

/** Forwards SNS requests to fauxqs; after `allow` Publish calls, holds further ones unanswered (never forwarded). */
async function startSnsProxy(target: string, allow: number): Promise<SnsProxy> {
  let holding = true;
  const state = { passed: 0, held: [] as http.ServerResponse[] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const isPublish =
        /(^|&)Action=Publish(&|$)/.test(body.toString()) ||
        String(req.headers['x-amz-target'] ?? '').endsWith('.Publish');
      if (isPublish && holding) {
        if (state.passed >= allow) {
          state.held.push(res); // the environment dies waiting: this message is never published
          return;
        }
        state.passed++;
      }
      const upstream = http.request(
        new URL(req.url!, target),
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get passed() {
      return state.passed;
    },
    held: state.held,
    release: () => {
      holding = false;
    },
    close: () =>
      new Promise((resolve) => {
        for (const res of state.held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function until<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 30000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const environmentPids = () =>
  descendants(process.pid).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('bootstrap.js');
    } catch {
      return false;
    }
  });

beforeAll(async () => {
  aws = await startLocalAws({ dynamodb: true, fauxqs: true });
  await createTable(aws.dynamodb!.endpoint, 'questions', TABLE);
  topic = await createTopicWithQueue(aws.fauxqs!.endpoint, 'questions-crash');
  proxy = await startSnsProxy(aws.fauxqs!.endpoint, LET_THROUGH);
  streams = new DynamoDBStreamsClient({ endpoint: aws.dynamodb!.endpoint, region: REGION, credentials: CREDENTIALS });
});
afterAll(async () => {
  await poller?.stop();
  await runtime?.stop();
  streams?.destroy();
  await proxy?.close();
  await aws?.stop();
});

test('a stream environment killed mid-batch: every 201 question is e-mailed exactly once', async () => {
  // The questions, through post-question: each one answered 201.
  type Handler = (event: APIGatewayProxyEvent, context: unknown) => Promise<APIGatewayProxyResult>;
  const post = loadHandler<{ handler: Handler }>('../../handlers/post-question', {
    ...aws.env,
    [ENV.questionsTableName]: TABLE,
    [ENV.allowedOrigin]: 'https://mysfits.example',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  }).handler;
  const ids: string[] = [];
  for (let i = 0; i < QUESTIONS; i++) {
    const body = JSON.stringify({ email: `crash-${i}@example.com`, questionText: `Question ${i} before the crash?` });
    const event = {
      httpMethod: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      isBase64Encoded: false,
      requestContext: {},
    };
    const response = await post(event as unknown as APIGatewayProxyEvent, lambdaContext(`post-${i}`));
    expect(response.statusCode).toBe(201);
    ids.push(JSON.parse(response.body).questionId);
  }

  runtime = await startFunctionRuntime({
    key: 'processQuestionsStream',
    functionName: names.function('test', 'processQuestionsStream'),
    environment: {
      ...aws.env,
      AWS_ENDPOINT_URL_SNS: proxy.url,
      [ENV.questionsTopicArn]: topic.topicArn,
      [ENV.questionsTableName]: TABLE,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
    tracing: 'Off',
    concurrency: 1,
  });
  const client = dynamoDbClient(aws.dynamodb!.endpoint);
  const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
  client.destroy();
  const invocations: { ok: boolean; records: number }[] = [];
  const onFailure: unknown[] = [];
  poller = startStreamPoller({
    streams,
    streamArn: Table!.LatestStreamArn!,
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:crash-test',
    region: REGION,
    pollIntervalMs: 50,
    invoke: async (event) => {
      const result = await runtime!.invoke(event);
      invocations.push({ ok: result.ok, records: event.Records.length });
      return result;
    },
    sendToOnFailure: async (record) => {
      onFailure.push(record);
    },
  });

  // Mid-batch: some questions published and marked, the others waiting on SNS. Then the environment dies.
  await until(() => proxy.held.length > 0, 'a publish held by the proxy');
  const marked = async () => (await scanTable(aws.dynamodb!.endpoint, TABLE)).filter((item) => item.NotifiedAt).length;
  await until(async () => (await marked()) === LET_THROUGH, `${LET_THROUGH} questions marked notified`);
  const [pid] = environmentPids();
  expect(pid).toBeDefined();
  process.kill(pid, 'SIGKILL');
  await until(() => invocations.length > 0, 'the killed invocation to end');
  expect(invocations[0]).toEqual({ ok: false, records: QUESTIONS });
  proxy.release();

  // The retries, in a new environment, send the rest.
  await until(async () => (await marked()) === QUESTIONS, 'every question marked notified');
  const mails = await topic.receive(QUESTIONS + 5, 4000); // waits the full time: any extra copy would show
  const sent = mails.map((m) => /Question id: (\S+)/.exec(m.Message)![1]).sort();
  expect(sent).toEqual([...ids].sort());
  expect(onFailure).toEqual([]);
  expect(proxy.passed).toBe(LET_THROUGH);
});
