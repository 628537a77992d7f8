/**
 * End to end through `startSandbox()` with the real handler bundles: a question reaches DynamoDB, the staff's
 * mailbox and X-Ray (two traces joined by QuestionId); a click lands enriched in the bucket with a trace of the
 * mysfits API call; bad input is refused with nothing written; a poison stream record ends on the on-failure
 * queue while the others are delivered.
 */

import { DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetTracesCommand, GetTraceSummariesCommand, XRayClient, type Trace } from '@aws-sdk/client-xray';
import { randomUUID } from 'node:crypto';
import mysfits from '../../data/mysfits.json';
import { FREE_PORTS, startSandbox, type Sandbox } from '../../sandbox/index';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../sandbox/local-aws';
import { ANNOTATIONS, CLICKS_DELIVERY, names } from '../../system/definition';
import { eventually } from '../support/eventually';

let sandbox: Sandbox;
let dynamodb: DynamoDBClient;
let sqs: SQSClient;
let s3: S3Client;
let xray: XRayClient;
const testStart = new Date(Date.now() - 60_000);

beforeAll(async () => {
  sandbox = await startSandbox({ ...FREE_PORTS });
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  dynamodb = new DynamoDBClient({ ...common, endpoint: sandbox.dynamodbEndpoint });
  sqs = new SQSClient({ ...common, endpoint: sandbox.fauxqsEndpoint });
  s3 = new S3Client({ ...common, endpoint: sandbox.fauxqsEndpoint, forcePathStyle: true });
  xray = new XRayClient({ ...common, endpoint: sandbox.xrayEndpoint });
});

afterAll(async () => {
  for (const client of [dynamodb, sqs, s3, xray]) client?.destroy();
  await sandbox?.stop();
});

/** Every message on a queue, left on it (visibility timeout 0), as the mailbox page reads it. */
async function peekQueue(queueUrl: string): Promise<string[]> {
  const bodies = new Map<string, string>();
  for (let i = 0; i < 5; i++) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        WaitTimeSeconds: 0,
      }),
    );
    for (const m of out.Messages ?? []) bodies.set(m.MessageId!, m.Body!);
    if (!out.Messages?.length) break;
  }
  return [...bodies.values()];
}

async function tracesFor(filter: string, count: number): Promise<Trace[]> {
  return eventually(`${count} trace(s) for ${filter}`, async () => {
    const summaries = await xray.send(
      new GetTraceSummariesCommand({
        StartTime: testStart,
        EndTime: new Date(Date.now() + 60_000),
        FilterExpression: filter,
      }),
    );
    const ids = (summaries.TraceSummaries ?? []).map((s) => s.Id!);
    if (ids.length < count) return undefined;
    const out = await xray.send(new BatchGetTracesCommand({ TraceIds: ids.slice(0, 5) }));
    const traces = out.Traces ?? [];
    // Complete: the segments that matter have arrived (UDP documents come in pieces).
    return traces.length >= count ? traces : undefined;
  });
}

/** Every segment and (nested) subsegment of a trace, flattened. */
function documentsOf(trace: Trace): any[] {
  const all: any[] = [];
  const walk = (doc: any) => {
    all.push(doc);
    for (const sub of doc.subsegments ?? []) walk(sub);
  };
  for (const segment of trace.Segments ?? []) walk(JSON.parse(segment.Document!));
  return all;
}

test('a question: item in DynamoDB, e-mail in the mailbox, two traces joined by QuestionId', async () => {
  const marker = `Is Pauly friendly? ${randomUUID()}`;
  const res = await fetch(`${sandbox.apis.questions}/questions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'newcomer@example.com', questionText: marker }),
  });
  expect(res.status).toBe(201);
  const { questionId } = (await res.json()) as { questionId: string };

  const item = await eventually('the question in DynamoDB', async () => {
    const out = await dynamodb.send(
      new GetItemCommand({ TableName: sandbox.resources.questionsTable, Key: { QuestionId: { S: questionId } } }),
    );
    return out.Item;
  });
  expect(item.QuestionText.S).toBe(marker);
  expect(item.UserEmailAddress.S).toBe('newcomer@example.com');

  const mail = await eventually('the e-mail on the mailbox queue', async () =>
    (await peekQueue(sandbox.resources.mailboxQueueUrl)).find((body) => body.includes(marker)),
  );
  const envelope = JSON.parse(mail);
  expect(envelope.TopicArn).toBe(sandbox.resources.topicArn);
  expect(envelope.Message).toContain('newcomer@example.com');
  // The page shows it too, and reading it took nothing off the queue.
  const page = (await (await fetch(`${sandbox.url}/_sandbox/mailbox.json`)).json()) as {
    messages: { message: string }[];
  };
  expect(page.messages.some((m: { message: string }) => m.message.includes(marker))).toBe(true);
  expect((await peekQueue(sandbox.resources.mailboxQueueUrl)).some((b) => b.includes(marker))).toBe(true);

  const traces = await tracesFor(`annotation.${ANNOTATIONS.questionId} = "${questionId}"`, 2);
  expect(traces).toHaveLength(2);
  const docs = traces.map(documentsOf);
  const apiTrace = docs.find((d) => d.some((s) => s.origin === 'AWS::ApiGateway::Stage'))!;
  const streamTrace = docs.find((d) => d !== apiTrace)!;
  expect(apiTrace).toBeDefined();
  expect(streamTrace).toBeDefined();

  // client -> stage -> post-question -> DynamoDB
  const stage = apiTrace.find((s) => s.origin === 'AWS::ApiGateway::Stage');
  expect(stage.name).toBe(names.stageSegment('local', 'questions'));
  const lambdaSub = stage.subsegments.find((s: any) => s.name === 'Lambda');
  const fnService = apiTrace.find((s) => s.origin === 'AWS::Lambda' && s.name === 'mysfits-local-post-question');
  expect(fnService.parent_id).toBe(lambdaSub.id);
  expect(apiTrace.some((s) => s.origin === 'AWS::Lambda::Function' && s.name === 'mysfits-local-post-question')).toBe(
    true,
  );
  expect(apiTrace.some((s) => s.namespace === 'aws' && s.name === 'DynamoDB')).toBe(true);

  // process-questions-stream -> SNS, in its own trace (a stream invocation starts one)
  expect(
    streamTrace.some((s) => s.origin === 'AWS::Lambda' && s.name === 'mysfits-local-process-questions-stream'),
  ).toBe(true);
  expect(streamTrace.some((s) => s.namespace === 'aws' && s.name === 'SNS')).toBe(true);
  expect(streamTrace.some((s) => s.annotations?.[ANNOTATIONS.questionId] === questionId)).toBe(true);
});

test('a click: the enriched record in the bucket and a trace that shows the mysfits API call', async () => {
  const mysfit = mysfits[3];
  const userId = `user-${randomUUID().slice(0, 8)}`;
  const res = await fetch(`${sandbox.apis.clicks}/clicks`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ userId, mysfitId: mysfit.MysfitId }),
  });
  expect(res.status).toBe(200);

  const record = await eventually('the enriched click in the bucket', async () => {
    const list = await s3.send(
      new ListObjectsV2Command({ Bucket: sandbox.resources.clicksBucket, Prefix: CLICKS_DELIVERY.prefix }),
    );
    for (const object of list.Contents ?? []) {
      const body = await (
        await s3.send(new GetObjectCommand({ Bucket: sandbox.resources.clicksBucket, Key: object.Key! }))
      ).Body!.transformToString();
      const line = body.split('\n').find((l) => l.includes(userId));
      // JSON Lines: one newline after each record (the delimiter processor's), never a blank line.
      if (line) return { key: object.Key!, body, record: JSON.parse(line) };
    }
    return undefined;
  });
  expect(record.key).toMatch(/^firehose\/\d{4}\/\d{2}\/\d{2}\/\d{2}\//);
  expect(record.body).not.toContain('\n\n');
  expect(record.body.endsWith('\n')).toBe(true);
  expect(record.record).toMatchObject({
    userId,
    mysfitId: mysfit.MysfitId,
    goodevil: mysfit.GoodEvil,
    lawchaos: mysfit.LawChaos,
    species: mysfit.Species,
  });

  const [trace] = await tracesFor(`annotation.${ANNOTATIONS.mysfitId} = "${mysfit.MysfitId}"`, 1);
  const docs = documentsOf(trace);
  expect(docs.some((s) => s.origin === 'AWS::Lambda' && s.name === 'mysfits-local-process-clicks')).toBe(true);
  const call = docs.find(
    (s) =>
      typeof s.http?.request?.url === 'string' &&
      s.http.request.url.includes(`/mysfits/${mysfit.MysfitId}`) &&
      s.namespace === 'remote',
  );
  expect(call).toBeDefined();
  expect(call.http.response.status).toBe(200);

  // The stage recorded the PUT: stage -> Firehose.
  const stages = await tracesFor(`service("${names.stageSegment('local', 'clicks')}")`, 1);
  expect(stages.flatMap(documentsOf).some((s) => s.name === 'Firehose' && s.namespace === 'aws')).toBe(true);
});

test('bad input: 400 in valid JSON (the question naming the field), and nothing written', async () => {
  const email = `not-an-email-${randomUUID().slice(0, 8)}`;
  const question = await fetch(`${sandbox.apis.questions}/questions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, questionText: 'Hello?' }),
  });
  expect(question.status).toBe(400);
  // The handler allows the website's origin (its ALLOWED_ORIGIN), not its own API's.
  expect(question.headers.get('access-control-allow-origin')).toBe(sandbox.url);
  const answer = (await question.json()) as { errors: { field: string }[] };
  expect(answer.errors.map((e: { field: string }) => e.field)).toContain('email');

  const userId = `bad user ${randomUUID().slice(0, 8)}`;
  const click = await fetch(`${sandbox.apis.clicks}/clicks`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ userId, mysfitId: mysfits[0].MysfitId }),
  });
  expect(click.status).toBe(400);
  expect(click.headers.get('access-control-allow-origin')).toBe(sandbox.url);
  // The request validator's gateway response, as deployed: AWS has no JSON-safe way to put the validation
  // detail (which holds quotes) in it, so it says what failed, not which field (see system/api-responses.ts).
  expect(JSON.parse(await click.text())).toEqual({ message: 'Invalid request body' });

  // Past the Firehose buffer interval: nothing with either marker anywhere.
  await new Promise((r) => setTimeout(r, 2500));
  const scan = await dynamodb.send(new ScanCommand({ TableName: sandbox.resources.questionsTable }));
  expect((scan.Items ?? []).some((i) => i.UserEmailAddress?.S === email)).toBe(false);
  const list = await s3.send(new ListObjectsV2Command({ Bucket: sandbox.resources.clicksBucket }));
  for (const object of list.Contents ?? []) {
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: sandbox.resources.clicksBucket, Key: object.Key! }))
    ).Body!.transformToString();
    expect(body).not.toContain(userId);
  }
});

test('a poison stream record ends on the on-failure queue while the others are delivered', async () => {
  const table = sandbox.resources.questionsTable;
  const poisonId = `poison-${randomUUID()}`;
  const goodId = `good-${randomUUID()}`;
  const goodText = `Delivered despite the poison ${goodId}`;
  // Written directly to the table: the poison lacks what the stream handler needs to write an e-mail.
  await dynamodb.send(new PutItemCommand({ TableName: table, Item: { QuestionId: { S: poisonId } } }));
  await dynamodb.send(
    new PutItemCommand({
      TableName: table,
      Item: {
        QuestionId: { S: goodId },
        QuestionText: { S: goodText },
        UserEmailAddress: { S: 'good@example.com' },
        CreatedAt: { S: new Date().toISOString() },
      },
    }),
  );

  await eventually('the good question in the mailbox', async () =>
    (await peekQueue(sandbox.resources.mailboxQueueUrl)).find((b) => b.includes(goodText)),
  );
  const failure = await eventually('the on-failure record', async () => {
    const bodies = await peekQueue(sandbox.resources.onFailureQueueUrl);
    return bodies.map((b) => JSON.parse(b)).find((r) => r.DDBStreamBatchInfo);
  });
  expect(failure.requestContext.condition).toBe('RetryAttemptsExhausted');
  expect(failure.requestContext.functionArn).toContain('mysfits-local-process-questions-stream');

  // The batch info points at the poison record on the table's stream.
  const streams = new DynamoDBStreamsClient({
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    endpoint: sandbox.dynamodbEndpoint,
  });
  try {
    const { StreamArn, ShardId, startSequenceNumber } = {
      StreamArn: failure.DDBStreamBatchInfo.streamArn,
      ShardId: failure.DDBStreamBatchInfo.shardId,
      startSequenceNumber: failure.DDBStreamBatchInfo.startSequenceNumber,
    };
    const description = await streams.send(new DescribeStreamCommand({ StreamArn }));
    expect(description.StreamDescription?.TableName).toBe(table);
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn,
        ShardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        SequenceNumber: startSequenceNumber,
      }),
    );
    const { Records } = await streams.send(new GetRecordsCommand({ ShardIterator, Limit: 1 }));
    expect(Records?.[0].dynamodb?.Keys?.QuestionId.S).toBe(poisonId);
  } finally {
    streams.destroy();
  }
});
