/**
 * Edit and see, in one running sandbox built from a copy of handlers/, system/ and website/ (the real sources are
 * never edited: other tests bundle them at the same time). A save reloads exactly the functions that import the
 * saved file and the next response runs the new code; a build error is printed once, with file:line:column, while
 * the previous code keeps answering; a website save is served at once; the tables and traces stay.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetTracesCommand, XRayClient } from '@aws-sdk/client-xray';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../build/bundle';
import mysfits from '../../data/mysfits.json';
import { FREE_PORTS, startSandbox, type Sandbox } from '../../sandbox/index';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../sandbox/local-aws';
import { eventually } from '../support/eventually';

// Inside the repository, so the copy's imports find node_modules.
fs.mkdirSync(path.join(REPO_ROOT, '.cache'), { recursive: true });
const sourceRoot = fs.mkdtempSync(path.join(REPO_ROOT, '.cache', 'reload-test-'));
const logs: string[] = [];
let sandbox: Sandbox;
let dynamodb: DynamoDBClient;
let xray: XRayClient;
const mysfitId = mysfits[0].MysfitId;

const sourceFile = (relative: string) => path.join(sourceRoot, relative);
/** Replaces `from` with `to` in a file of the copy, as an editor's save would; the text must be there. */
function edit(relative: string, from: string, to: string) {
  const file = sourceFile(relative);
  const text = fs.readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${relative} does not contain ${from}`);
  fs.writeFileSync(file, text.replace(from, to));
}
/** The sandbox's log entries (a build error is one entry of several lines) that match. */
const linesLike = (pattern: RegExp) => logs.filter((line) => pattern.test(line));
/** The functions' log lines that match (one entry may hold START to REPORT). */
const functionLinesLike = (pattern: RegExp) =>
  logs.flatMap((entry) => entry.split('\n')).filter((line) => pattern.test(line));

async function postQuestion(questionText: string) {
  const res = await fetch(`${sandbox.apis.questions}/questions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'editor@example.com', questionText }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const getMysfit = async () =>
  (await (await fetch(`${sandbox.apis.mysfits}/mysfits/${mysfitId}`)).json()) as Record<string, unknown>;

beforeAll(async () => {
  for (const dir of ['handlers', 'system', 'website']) {
    fs.cpSync(path.join(REPO_ROOT, dir), path.join(sourceRoot, dir), { recursive: true });
  }
  sandbox = await startSandbox({ ...FREE_PORTS, watch: { sourceRoot }, log: (line) => logs.push(line) });
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  dynamodb = new DynamoDBClient({ ...common, endpoint: sandbox.dynamodbEndpoint });
  xray = new XRayClient({ ...common, endpoint: sandbox.xrayEndpoint });
});

afterAll(async () => {
  dynamodb?.destroy();
  xray?.destroy();
  await sandbox?.stop();
  fs.rmSync(sourceRoot, { recursive: true, force: true });
});

test('the functions run the bundles built from the source root, into its own .build', async () => {
  expect(fs.existsSync(sourceFile('.build/post-question/index.js'))).toBe(true);
  expect(fs.existsSync(sourceFile('.build/website/index.html'))).toBe(true);
  expect(await getMysfit()).not.toHaveProperty('edited');
});

test('a save reloads the function that imports the file; the next response runs it; stored data stays', async () => {
  const first = await postQuestion('Before the edit: can Pauly swim?');
  expect(first.status).toBe(201);
  const traceHeader = await eventually('the first question in the table', async () => {
    const out = await dynamodb.send(
      new GetItemCommand({
        TableName: sandbox.resources.questionsTable,
        Key: { QuestionId: { S: String(first.body.questionId) } },
      }),
    );
    return out.Item ? true : undefined;
  });
  expect(traceHeader).toBe(true);
  const firstTraceId = await traceIdOfLatest('mysfits-local-post-question');

  const saved = Date.now();
  edit(
    'handlers/mysfits-api/catalogue.ts',
    'adopted: Boolean(item.Adopted),',
    'adopted: Boolean(item.Adopted), edited: true,',
  );
  await eventually('the edited mysfits API', async () => ((await getMysfit()).edited === true ? true : undefined));
  const reloadMs = Date.now() - saved;
  process.stderr.write(`reload: save -> next response on the new code in ${reloadMs} ms\n`);

  expect(linesLike(/^↻ mysfits-api reloaded \(\d+ ms\)$/)).toHaveLength(1);
  // Exactly the affected function: post-question does not import mysfits-api.
  expect(linesLike(/^↻ (?!mysfits-api)/)).toEqual([]);
  // A fresh execution environment, as after a new Lambda version: its first REPORT has an Init Duration.
  const reports = functionLinesLike(/\[mysfits-local-mysfits-api\] REPORT/);
  expect(reports[reports.length - 1]).toMatch(/Init Duration: /);

  // Stored data is untouched: the earlier question in its table, its trace in the X-Ray store.
  const item = await dynamodb.send(
    new GetItemCommand({
      TableName: sandbox.resources.questionsTable,
      Key: { QuestionId: { S: String(first.body.questionId) } },
    }),
  );
  expect(item.Item?.QuestionText.S).toBe('Before the edit: can Pauly swim?');
  const traces = await xray.send(new BatchGetTracesCommand({ TraceIds: [firstTraceId] }));
  expect(traces.Traces?.map((t) => t.Id)).toEqual([firstTraceId]);
  // And its e-mail (stream -> process-questions-stream -> topic -> mailbox queue) is on the queue.
  const mailbox = await eventually('the first question on the mailbox queue', async () => {
    const page = (await (await fetch(`${sandbox.url}/_sandbox/mailbox.json`)).json()) as {
      messages: { message: string }[];
    };
    return page.messages.some((m) => m.message.includes('Before the edit')) ? page : undefined;
  });
  expect(mailbox.messages.length).toBeGreaterThan(0);
});

test('a build error is printed once with file:line:column; the old code answers until the fix reloads', async () => {
  const broken = 'return jsonResponse(origin, 201, { questionId: outcome.questionId });';
  edit(
    'handlers/post-question/handler.ts',
    broken,
    'return jsonResponse(origin, 201, { questionId: outcome.questionId, );',
  );
  const [report] = await eventually('the build error', () => {
    const found = linesLike(/^✗ build failed/);
    return found.length > 0 ? found : undefined;
  });
  expect(report).toMatch(/^✗ build failed \(post-question\)/);
  expect(report).toMatch(/handlers\/post-question\/handler\.ts:\d+:\d+:/);
  expect(report).toContain('[ERROR]');

  const during = await postQuestion('While it is broken: does Pauly bite?');
  expect(during.status).toBe(201);
  expect(Object.keys(during.body)).toEqual(['questionId']);

  // Saving the same broken text again is no change: nothing is printed again.
  fs.writeFileSync(
    sourceFile('handlers/post-question/handler.ts'),
    fs.readFileSync(sourceFile('handlers/post-question/handler.ts')),
  );
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(linesLike(/^✗ build failed/)).toHaveLength(1);

  edit(
    'handlers/post-question/handler.ts',
    'questionId: outcome.questionId, );',
    "questionId: outcome.questionId, note: 'edited' });",
  );
  await eventually('post-question reloaded', () =>
    linesLike(/^↻ post-question reloaded/).length > 0 ? true : undefined,
  );
  const after = await postQuestion('After the fix: does Pauly sing?');
  expect(after.status).toBe(201);
  expect(after.body.note).toBe('edited');
});

test('a website save is served by the next request, index.html naming the new app.<hash>.js', async () => {
  const before = await (await fetch(`${sandbox.url}/`)).text();
  const oldApp = /src="(app\.[0-9a-f]{10}\.js)"/.exec(before)?.[1];
  expect(oldApp).toBeDefined();

  edit('website/index.html', '<title>Mythical Mysfits</title>', '<title>Mythical Mysfits (edited)</title>');
  fs.appendFileSync(sourceFile('website/src/main.ts'), "\nexport const editedMarker = 'edited-marker';\n");
  const page = await eventually('the edited page', async () => {
    const text = await (await fetch(`${sandbox.url}/`)).text();
    const app = /src="(app\.[0-9a-f]{10}\.js)"/.exec(text)?.[1];
    return text.includes('(edited)') && app !== oldApp ? text : undefined;
  });
  const newApp = /src="(app\.[0-9a-f]{10}\.js)"/.exec(page)![1];
  const script = await fetch(`${sandbox.url}/${newApp}`);
  expect(script.status).toBe(200);
  expect(await script.text()).toContain('edited-marker');
  expect(linesLike(/^✗ build failed/)).toHaveLength(1); // still only the one from the handler's syntax error
});

/** The trace id of the function's latest invocation, from its REPORT line (`XRAY TraceId: 1-…`). */
async function traceIdOfLatest(functionName: string): Promise<string> {
  const report = await eventually(`a REPORT line of ${functionName}`, () => {
    const lines = functionLinesLike(new RegExp(`\\[${functionName}\\] REPORT`));
    return lines[lines.length - 1];
  });
  const traceId = /XRAY TraceId: (1-[0-9a-f]{8}-[0-9a-f]{24})/.exec(report)?.[1];
  if (!traceId) throw new Error(`no trace id in ${report}`);
  // The segments reach the daemon over UDP: wait until the store has the trace.
  await eventually(`trace ${traceId} in the X-Ray store`, async () => {
    const out = await xray.send(new BatchGetTracesCommand({ TraceIds: [traceId] }));
    return out.Traces?.length ? true : undefined;
  });
  return traceId;
}
