/** The console pages in a real browser (system Chromium via playwright-core), over demo traffic. */

import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startXRayDaemon, type XRayDaemon } from '../../sandbox/xray/daemon';
import { demoDocuments } from '../../sandbox/xray/demo-traces';
import { sendDatagrams } from '../../sandbox/xray/udp-client';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let daemon: XRayDaemon;
let browser: Browser;
let page: Page;
let documents: ReturnType<typeof demoDocuments>;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH)`);
  daemon = await startXRayDaemon({ port: 0 });
  documents = demoDocuments('test', 6);
  await sendDatagrams(daemon.address, documents);
  for (let i = 0; i < 200 && daemon.store.stats().received < documents.length; i++)
    await new Promise((r) => setTimeout(r, 10));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage();
  // Nothing but the daemon itself may be contacted.
  await page.route('**/*', (route) =>
    route.request().url().startsWith(daemon.endpoint) ? route.continue() : route.abort(),
  );
});

afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
});

/** The parts of the X-Ray API answers these tests read (Node's fetch types `json()` as unknown). */
interface ServiceGraphJson {
  Services: { Name: string; Type?: string; Edges: unknown[]; SummaryStatistics: { TotalCount: number } }[];
}
interface TraceSummariesJson {
  TraceSummaries: unknown[];
}

async function api<T>(path: string, body: object): Promise<T> {
  const response = await fetch(`${daemon.endpoint}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return (await response.json()) as T;
}

test('the service map draws every node of GetServiceGraph with its request count', async () => {
  const now = Date.now() / 1000;
  const graph = await api<ServiceGraphJson>('/ServiceGraph', { StartTime: now - 3600, EndTime: now + 60 });
  await page.goto(`${daemon.endpoint}/`);
  await page.waitForSelector('#map svg g.node');
  const nodes = await page.locator('#map svg g.node title').allTextContents();
  expect(nodes.sort()).toEqual(
    graph.Services.map((s: { Name: string; Type?: string }) => `${s.Name}${s.Type ? ` (${s.Type})` : ''}`).sort(),
  );
  expect(await page.locator('#map svg line').count()).toBe(
    graph.Services.reduce((n: number, s: { Edges: unknown[] }) => n + s.Edges.length, 0),
  );
  const dynamo = page.locator('#map svg g.node', {
    has: page.locator('title', { hasText: 'DynamoDB (AWS::DynamoDB::Table)' }),
  });
  const dynamoCount = graph.Services.find((s: { Name: string }) => s.Name === 'DynamoDB')!.SummaryStatistics.TotalCount;
  await expect(dynamo.textContent()).resolves.toContain(`${dynamoCount} req`);
});

test('the trace list applies the filter box and links each trace to its timeline', async () => {
  await page.goto(`${daemon.endpoint}/traces?filter=${encodeURIComponent('fault')}`);
  await page.waitForSelector('#result table');
  const rows = page.locator('#result tbody tr');
  const now = Date.now() / 1000;
  const faults = await api<TraceSummariesJson>('/TraceSummaries', {
    StartTime: now - 3600,
    EndTime: now + 60,
    FilterExpression: 'fault',
  });
  expect(faults.TraceSummaries.length).toBeGreaterThan(0);
  await expect(rows.count()).resolves.toBe(faults.TraceSummaries.length);
  await expect(rows.first().locator('.badge.fault').count()).resolves.toBe(1);

  await rows.first().locator('a').click();
  await page.waitForSelector('table.timeline tr.entity');
  const timeline = await page.locator('table.timeline').textContent();
  expect(timeline).toContain('hangingException');
  expect(timeline).toContain('the request hung and failed');
  expect(await page.locator('table.timeline .fill.fault').count()).toBeGreaterThanOrEqual(2);
});

test('an invalid filter shows the API error instead of a list', async () => {
  await page.goto(`${daemon.endpoint}/traces`);
  await page.fill('#filter', 'annotation.QuestionId ~ "x"');
  await page.click('button[type=submit]');
  await expect(page.locator('.error-box').textContent({ timeout: 5000 })).resolves.toMatch(
    /ValidationException: Invalid filter expression at position 22: unexpected character "~"/,
  );
});

test('a timeline lays subsegments under their segment and marks inferred nodes', async () => {
  const question = documents.find((d) => d.annotations && 'QuestionId' in d.annotations)!;
  await page.goto(`${daemon.endpoint}/traces/${question.trace_id}`);
  await page.waitForSelector('table.timeline tr.entity');
  const groups = await page.locator('table.timeline tr.group').allTextContents();
  expect(groups).toEqual(
    expect.arrayContaining([
      'mysfits-test-questions-api/test · AWS::ApiGateway::Stage',
      'mysfits-test-post-question · AWS::Lambda::Function',
      'DynamoDB · AWS::DynamoDB::Table (inferred)',
    ]),
  );
  await page.locator('table.timeline tr.entity', { hasText: 'DynamoDB' }).first().click();
  await expect(page.locator('table.timeline pre').first().textContent()).resolves.toContain('"operation": "PutItem"');
});
