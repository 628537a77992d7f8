/**
 * `npm start -- --persist`: a sandbox stopped and started again on the same folder still has its question (and the
 * edited catalogue, not seeded over), its S3 object, its queue messages (one received but not deleted included)
 * and its traces, and the stream poller works on the kept stream without e-mailing anything twice. A folder that
 * is not the sandbox's, or a damaged file in it, is refused at start with the file named. Two sandbox starts in all.
 */
import { DynamoDBClient, GetItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetTracesCommand, GetTraceSummariesCommand, XRayClient } from '@aws-sdk/client-xray';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import mysfits from '../../data/mysfits.json';
import { FREE_PORTS, startSandbox, type Sandbox } from '../../sandbox/index';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localNames } from '../../sandbox/local-aws';
import { readMailbox } from '../../sandbox/mailbox/mailbox';
import { startFauxqs } from '../../sandbox/services/local-services';
import { openPersistFolder, PERSIST_MARKER_FILE } from '../../sandbox/services/persist-folder';
import { openTraceJournal, readJournal } from '../../sandbox/xray/trace-journal';
import { MAX_TRACES, TraceStore } from '../../sandbox/xray/trace-store';
import { eventually } from '../support/eventually';

const temporaryDirs: string[] = [];
function temporaryDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-persist-'));
  temporaryDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temporaryDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function clientsFor(sandbox: Sandbox) {
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  return {
    dynamodb: new DynamoDBClient({ ...common, endpoint: sandbox.dynamodbEndpoint }),
    sqs: new SQSClient({ ...common, endpoint: sandbox.fauxqsEndpoint }),
    s3: new S3Client({ ...common, endpoint: sandbox.fauxqsEndpoint, forcePathStyle: true }),
    xray: new XRayClient({ ...common, endpoint: sandbox.xrayEndpoint }),
  };
}
type Clients = ReturnType<typeof clientsFor>;
const destroy = (clients: Clients) => {
  for (const client of Object.values(clients)) client.destroy();
};

async function askQuestion(sandbox: Sandbox, text: string): Promise<string> {
  const res = await fetch(`${sandbox.apis.questions}/questions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: sandbox.url },
    body: JSON.stringify({ email: 'keeper@example.com', questionText: text }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { questionId: string }).questionId;
}

const mailsAbout = async (sandbox: Sandbox, text: string) =>
  (await readMailbox(sandbox.fauxqsEndpoint, localNames.mailboxQueue)).filter((m) => m.message.includes(text));

/** The trace ids whose stage segment X-Ray holds, through the query API. */
async function tracesKept(clients: Clients, ids: string[]): Promise<string[]> {
  const out = await clients.xray.send(new BatchGetTracesCommand({ TraceIds: ids }));
  return (out.Traces ?? []).map((t) => t.Id!).sort();
}

test('a stopped sandbox started again on its folder has its question, object, messages and traces', async () => {
  const dir = path.join(temporaryDir(), 'state'); // does not exist yet: created on first use
  const question = `Kept across restarts? ${randomUUID()}`;
  const objectKey = `kept/${randomUUID()}.json`;
  const objectBody = JSON.stringify({ kept: true });
  const firstMysfit = mysfits[0].MysfitId;
  let questionId: string;
  let traceIds: string[];

  // First run: a question (table, stream, mailbox, traces), an edited mysfit, an object, and two messages on the
  // on-failure queue, one of them received and not deleted (in flight when the sandbox stops).
  let sandbox = await startSandbox({ ...FREE_PORTS, persistDir: dir });
  let clients = clientsFor(sandbox);
  try {
    questionId = await askQuestion(sandbox, question);
    await eventually('the e-mail', async () => ((await mailsAbout(sandbox, question)).length === 1 ? true : undefined));
    await clients.dynamodb.send(
      new UpdateItemCommand({
        TableName: sandbox.resources.mysfitsTable,
        Key: { MysfitId: { S: firstMysfit } },
        UpdateExpression: 'SET Likes = :likes',
        ExpressionAttributeValues: { ':likes': { N: '7' } },
      }),
    );
    await clients.s3.send(
      new PutObjectCommand({ Bucket: sandbox.resources.clicksBucket, Key: objectKey, Body: objectBody }),
    );
    for (const body of ['waiting', 'in flight']) {
      await clients.sqs.send(
        new SendMessageCommand({ QueueUrl: sandbox.resources.onFailureQueueUrl, MessageBody: body }),
      );
    }
    const received = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: sandbox.resources.onFailureQueueUrl,
        MaxNumberOfMessages: 1,
        VisibilityTimeout: 600,
      }),
    );
    expect(received.Messages?.map((m) => m.Body)).toEqual(['waiting']);
    traceIds = await eventually("the question's two traces (the API call and the stream)", async () => {
      const summaries = await clients.xray.send(
        new GetTraceSummariesCommand({
          StartTime: new Date(Date.now() - 600_000),
          EndTime: new Date(Date.now() + 60_000),
          FilterExpression: `annotation.QuestionId = "${questionId}"`,
        }),
      );
      const ids = (summaries.TraceSummaries ?? []).map((s) => s.Id!).sort();
      return ids.length === 2 ? ids : undefined;
    });
  } finally {
    destroy(clients);
    await sandbox.stop();
  }

  // Second run on the same folder, on other ports.
  // Logs go to a folder of their own: the stream function's log shows what the poller delivered in this run.
  const stateDir = temporaryDir();
  sandbox = await startSandbox({ ...FREE_PORTS, persistDir: dir, stateDir });
  clients = clientsFor(sandbox);
  try {
    const item = await clients.dynamodb.send(
      new GetItemCommand({ TableName: sandbox.resources.questionsTable, Key: { QuestionId: { S: questionId } } }),
    );
    expect(item.Item?.QuestionText.S).toBe(question);
    // The catalogue was not seeded over the edit, nor doubled.
    const mysfit = await clients.dynamodb.send(
      new GetItemCommand({ TableName: sandbox.resources.mysfitsTable, Key: { MysfitId: { S: firstMysfit } } }),
    );
    expect(mysfit.Item?.Likes?.N).toBe('7');
    const count = await clients.dynamodb.send(
      new ScanCommand({ TableName: sandbox.resources.mysfitsTable, Select: 'COUNT' }),
    );
    expect(count.Count).toBe(mysfits.length);

    const object = await clients.s3.send(
      new GetObjectCommand({ Bucket: sandbox.resources.clicksBucket, Key: objectKey }),
    );
    expect(await object.Body!.transformToString()).toBe(objectBody);

    // Both messages, the one in flight visible again (as SQS makes it once its visibility timeout ends).
    const waiting = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: sandbox.resources.onFailureQueueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
      }),
    );
    expect(waiting.Messages?.map((m) => m.Body).sort()).toEqual(['in flight', 'waiting']);

    expect(await tracesKept(clients, traceIds)).toEqual(traceIds);

    // The poller resumes the kept stream (same ARN) after its checkpoint, as the mapping does on AWS: a new question
    // goes all the way, and the old one is neither delivered again nor e-mailed twice.
    const second = `Asked after the restart ${randomUUID()}`;
    await askQuestion(sandbox, second);
    await eventually('the new e-mail', async () =>
      (await mailsAbout(sandbox, second)).length === 1 ? true : undefined,
    );
    expect(await mailsAbout(sandbox, question)).toHaveLength(1);
    const streamLog = fs.readFileSync(
      path.join(stateDir, 'logs', `${localNames.function('processQuestionsStream')}.log`),
      'utf8',
    );
    expect(streamLog.match(/^START RequestId/gm)).toHaveLength(1); // the new question's batch only
  } finally {
    destroy(clients);
    await sandbox.stop();
  }
});

test('fauxqs killed with SIGKILL comes back with what it held a second before, on another port', async () => {
  const file = path.join(temporaryDir(), 'fauxqs.json');
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  let fauxqs = await startFauxqs({ stateFile: file });
  let sqs = new SQSClient({ ...common, endpoint: fauxqs.endpoint });
  try {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'kept' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'saved' }));
    await eventually('the saved state', async () =>
      fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('saved') ? true : undefined,
    );
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'not yet saved' }));
    process.kill(fauxqs.pid, 'SIGKILL'); // before its next save, due within SAVE_DELAY_MS (1 s)
    await fauxqs.stop(); // waits for the exit
  } finally {
    sqs.destroy();
  }
  fauxqs = await startFauxqs({ stateFile: file });
  sqs = new SQSClient({ ...common, endpoint: fauxqs.endpoint });
  try {
    const QueueUrl = `${fauxqs.endpoint}/000000000000/kept`;
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(out.Messages?.map((m) => m.Body)).toEqual(['saved']);
  } finally {
    sqs.destroy();
    await fauxqs.stop();
  }
});

describe('a folder that cannot be kept state is refused at start, naming it', () => {
  test("a folder with files but no marker (somebody else's)", async () => {
    const dir = temporaryDir();
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    expect(() => openPersistFolder(dir)).toThrow(`${dir} is not a sandbox state folder`);
    // Through startSandbox too: refused before any service starts, and the file is left alone.
    await expect(startSandbox({ ...FREE_PORTS, persistDir: dir })).rejects.toThrow(
      `Kept state: ${dir} is not a sandbox state folder`,
    );
    expect(fs.readdirSync(dir)).toEqual(['notes.txt']);
  });

  test('a folder another sandbox is using (one that was killed leaves it free)', () => {
    const dir = temporaryDir();
    const first = openPersistFolder(dir);
    expect(() => openPersistFolder(dir)).toThrow(`${dir} is in use by another sandbox (process ${process.pid})`);
    first.release();
    openPersistFolder(dir).release();
    // The pid file of a process that is gone (a sandbox killed with SIGKILL) does not hold the folder.
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    fs.writeFileSync(path.join(dir, 'sandbox.pid'), String(gone));
    openPersistFolder(dir).release();
    expect(fs.existsSync(path.join(dir, 'sandbox.pid'))).toBe(false);
  });

  test('a file instead of a folder', () => {
    const file = path.join(temporaryDir(), 'state');
    fs.writeFileSync(file, '');
    expect(() => openPersistFolder(file)).toThrow(`${file} is a file, not a folder`);
  });

  test('a damaged marker, fauxqs state or DynamoDB database', () => {
    const dir = temporaryDir();
    const folder = openPersistFolder(dir); // an empty folder becomes one
    folder.release();
    expect(JSON.parse(fs.readFileSync(path.join(dir, PERSIST_MARKER_FILE), 'utf8'))).toEqual({
      format: 'mysfits-sandbox-state',
      version: 1,
    });
    openPersistFolder(dir).release();

    fs.writeFileSync(folder.fauxqsFile, '{"queues": [');
    expect(() => openPersistFolder(dir)).toThrow(`${folder.fauxqsFile} is damaged`);
    fs.writeFileSync(folder.fauxqsFile, '{"format": "something else"}');
    expect(() => openPersistFolder(dir)).toThrow(`${folder.fauxqsFile} is not a fauxqs state file of this sandbox`);
    fs.rmSync(folder.fauxqsFile);

    const position = path.join(dir, 'stream-position.json');
    fs.writeFileSync(position, '{"streamArn": 7}');
    expect(() => openPersistFolder(dir)).toThrow(`${position} is not a stream position`);
    fs.rmSync(position);

    const database = path.join(folder.dynamodbDir, 'shared-local-instance.db');
    fs.writeFileSync(database, 'not a database at all');
    expect(() => openPersistFolder(dir)).toThrow(`${database} is not a DynamoDB Local database`);
    fs.rmSync(database);

    fs.writeFileSync(path.join(dir, PERSIST_MARKER_FILE), '{"format": "mysfits-sandbox-state", "version": 99}');
    expect(() => openPersistFolder(dir)).toThrow(
      `${path.join(dir, PERSIST_MARKER_FILE)} does not describe this sandbox's state`,
    );
  });
});

describe('the trace journal', () => {
  const segment = (traceId: string, id: string, extra: object = {}) => ({
    trace_id: traceId,
    id,
    name: 'svc',
    start_time: 1_700_000_000,
    end_time: 1_700_000_001,
    ...extra,
  });
  const traceId = (n: number) => `1-6553f100-${n.toString(16).padStart(24, '0')}`;

  test('keeps what the store stored, loads it back without counting it as received, and keeps whole lines', () => {
    const file = path.join(temporaryDir(), 'traces.jsonl');
    const first = new TraceStore();
    const journal = openTraceJournal(first, file);
    first.put(segment(traceId(1), 'aaaaaaaaaaaaaaaa', { in_progress: true, end_time: undefined }) as any);
    first.put(segment(traceId(1), 'aaaaaaaaaaaaaaaa') as any); // completed: replaces the one in progress
    journal.close();
    fs.appendFileSync(file, '{"trace_id": "1-6553f100-0000'); // a write cut short by a crash

    const second = new TraceStore();
    const reopened = openTraceJournal(second, file);
    expect(reopened.loaded).toBe(2);
    expect(second.stats()).toMatchObject({ received: 0, traces: 1 });
    expect(second.trace(traceId(1))?.partial).toBe(false);
    // The torn line is gone and the superseded document compacted away: one whole line per kept document.
    expect(fs.readFileSync(file, 'utf8').split('\n')).toHaveLength(2);
    second.put(segment(traceId(2), 'bbbbbbbbbbbbbbbb') as any);
    reopened.close();
    expect(readJournal(file).documents.map((d) => d.trace_id)).toEqual([traceId(1), traceId(2)]);
  });

  test("holds the store's limit: the oldest traces drop out of the file too", () => {
    const file = path.join(temporaryDir(), 'traces.jsonl');
    const lines = Array.from({ length: MAX_TRACES + 5 }, (_, n) =>
      JSON.stringify(segment(traceId(n), n.toString(16).padStart(16, '0'))),
    );
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const store = new TraceStore();
    openTraceJournal(store, file).close();
    expect(store.stats().traces).toBe(MAX_TRACES);
    expect(store.trace(traceId(4))).toBeUndefined();
    expect(readJournal(file).documents).toHaveLength(MAX_TRACES);
  });

  test('a damaged line in the middle is an error naming the file and line', () => {
    const file = path.join(temporaryDir(), 'traces.jsonl');
    fs.writeFileSync(file, `${JSON.stringify(segment(traceId(1), 'aaaaaaaaaaaaaaaa'))}\nnot json\n`);
    expect(() => openTraceJournal(new TraceStore(), file)).toThrow(`${file}: line 2 is not a segment document`);
  });
});
