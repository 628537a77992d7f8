// The callbacks given to page.evaluate / waitForFunction run inside Chromium, so this file sees the DOM types.
/// <reference lib="dom" />

/** The console pages in a real browser (system Chromium via playwright-core), over demo traffic. */

import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CONTENT_SECURITY_POLICY } from '../../sandbox/xray/console/pages';
import { startXRayDaemon, type XRayDaemon } from '../../sandbox/xray/daemon';
import { demoDocuments } from '../../sandbox/xray/demo-traces';
import type { SegmentDocument } from '../../sandbox/xray/segment-document';
import { sendDatagrams } from '../../sandbox/xray/udp-client';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let daemon: XRayDaemon;
let browser: Browser;
let page: Page;
let documents: SegmentDocument[];
const pageErrors: string[] = [];

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
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(10_000);
  // Nothing but the daemon itself may be contacted; a script error or a CSP violation fails the run.
  await page.route('**/*', (route) =>
    route.request().url().startsWith(daemon.endpoint) ? route.continue() : route.abort(),
  );
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
});

afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

/** The parts of the X-Ray API answers these tests read (Node's fetch types `json()` as unknown). */
interface ServiceGraphJson {
  Services: { Name: string; Type?: string; Edges: unknown[]; SummaryStatistics: { TotalCount: number } }[];
}

async function api<T>(path: string, body: object): Promise<T> {
  const response = await fetch(`${daemon.endpoint}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return (await response.json()) as T;
}

const questionDocument = () => documents.find((d) => d.annotations && 'QuestionId' in d.annotations)!;

describe('service map', () => {
  test('draws every node of GetServiceGraph with its request count, and every edge', async () => {
    const now = Date.now() / 1000;
    const graph = await api<ServiceGraphJson>('/ServiceGraph', { StartTime: now - 3600, EndTime: now + 60 });
    await page.goto(`${daemon.endpoint}/`);
    await page.waitForSelector('#map svg g.node');
    const nodes = await page.locator('#map svg g.node > title').allTextContents();
    expect(nodes.map((title) => `${title.split('): ')[0]})`).sort()).toEqual(
      graph.Services.map((s) => `${s.Name}${s.Type ? ` (${s.Type})` : ''}`).sort(),
    );
    expect(await page.locator('#map svg g.edge').count()).toBe(graph.Services.reduce((n, s) => n + s.Edges.length, 0));
    const dynamo = page.locator('#map svg g.node', {
      has: page.locator('title', { hasText: 'DynamoDB (AWS::DynamoDB::Table)' }),
    });
    const dynamoCount = graph.Services.find((s) => s.Name === 'DynamoDB')!.SummaryStatistics.TotalCount;
    await expect(dynamo.textContent()).resolves.toContain(`${dynamoCount} req`);
    // The title is the node's accessible name.
    await expect(
      page.getByRole('button', { name: /^DynamoDB \(AWS::DynamoDB::Table\): \d+ requests/ }).count(),
    ).resolves.toBe(1);
    await expect(dynamo.locator('title').textContent()).resolves.toMatch(
      new RegExp(`^DynamoDB \\(AWS::DynamoDB::Table\\): ${dynamoCount} requests, 0 errors, 0 faults, average \\d+ ms$`),
    );
  });

  test('labels as drawn do not overlap, and the whole map fits the window', async () => {
    await page.goto(`${daemon.endpoint}/`);
    await page.waitForSelector('#map svg g.node');
    const { boxes, fits } = await page.evaluate(() => {
      const svgEl = document.querySelector('#map svg') as SVGSVGElement;
      const frame = svgEl.getBoundingClientRect();
      const rects = Array.from(document.querySelectorAll('#map g.node')).map((g) =>
        Array.from(g.querySelectorAll('text')).map((t) => {
          const r = t.getBoundingClientRect();
          return { x: r.x, y: r.y, w: r.width, h: r.height };
        }),
      );
      const all = rects.flat();
      const fits = all.every(
        (r) => r.x >= frame.x && r.y >= frame.y && r.x + r.w <= frame.right && r.y + r.h <= frame.bottom,
      );
      return { boxes: rects, fits };
    });
    expect(fits).toBe(true);
    const overlaps: string[] = [];
    boxes.forEach((a, i) => {
      boxes.forEach((b, j) => {
        if (j <= i) return;
        for (const ra of a)
          for (const rb of b)
            if (ra.x < rb.x + rb.w && rb.x < ra.x + ra.w && ra.y < rb.y + rb.h && rb.y < ra.y + ra.h)
              overlaps.push(`${i}/${j}`);
      });
    });
    expect(overlaps).toEqual([]);
  });

  test('zooms with the buttons, the wheel and the keyboard, and fits again with 0', async () => {
    await page.goto(`${daemon.endpoint}/`);
    await page.waitForSelector('#map svg g.node');
    const viewBox = async () => (await page.locator('#map svg').getAttribute('viewBox'))!.split(' ').map(Number);
    const fitted = await viewBox();
    await page.click('#zoom-in');
    expect((await viewBox())[2]).toBeCloseTo(fitted[2] / 1.25);
    await page.locator('#map svg').focus();
    await page.keyboard.press('0');
    expect(await viewBox()).toEqual(fitted);
    await page.keyboard.press('-');
    expect((await viewBox())[2]).toBeCloseTo(fitted[2] * 1.25);
    const beforePan = await viewBox();
    await page.keyboard.press('ArrowRight');
    expect((await viewBox())[0]).toBeCloseTo(beforePan[0] + beforePan[2] * 0.1);
    await page.keyboard.press('0');
    const box = (await page.locator('#map svg').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -100);
    await page.waitForFunction(
      (w) => Number(document.querySelector('#map svg')!.getAttribute('viewBox')!.split(' ')[2]) < w,
      fitted[2],
    );
  });

  test(
    'nodes are reached with Tab; Space shows the histogram, whose ' +
      'range filters the traces; Enter opens the traces',
    async () => {
      await page.goto(`${daemon.endpoint}/?range=15m`);
      await page.waitForSelector('#map svg g.node');
      await page.locator('#map svg').focus();
      const stageName = 'mysfits-test-questions-api/test';
      // Tab through the nodes until the questions stage has the focus.
      for (let i = 0; i < 20; i += 1) {
        await page.keyboard.press('Tab');
        const focused = await page.evaluate(
          () => document.activeElement?.querySelector(':scope > title')?.textContent ?? '',
        );
        if (focused.startsWith(`${stageName} (`)) break;
      }
      await expect(
        page.evaluate(() => document.activeElement?.querySelector(':scope > title')?.textContent),
      ).resolves.toMatch(/^mysfits-test-questions-api\/test \(AWS::ApiGateway::Stage\)/);
      await page.keyboard.press('Space');
      await expect(page.locator('#details h2').textContent()).resolves.toBe(`${stageName} (AWS::ApiGateway::Stage)`);
      expect(await page.locator('.histogram rect.bar').count()).toBeGreaterThan(0);
      await page.fill('#range-from', '0');
      await page.fill('#range-to', '100');
      const href = await page.locator('#range-traces').getAttribute('href');
      const url = new URL(href!, daemon.endpoint);
      expect(url.searchParams.get('filter')).toBe(
        `service(id(name: "${stageName}", type: "AWS::ApiGateway::Stage")) AND responsetime >= 0 AND responsetime <= 0.1`,
      );
      expect(url.searchParams.get('range')).toBe('15m');
      // The fast questions (not the 5 s hanging one) are in that range.
      await page.click('#range-traces');
      await page.waitForSelector('#result table');
      const durations = await page.locator('#result tbody tr td:nth-child(5)').allTextContents();
      expect(durations.length).toBeGreaterThan(0);
      expect(durations.every((d) => /^\d+ ms$/.test(d))).toBe(true);

      await page.goto(`${daemon.endpoint}/?range=15m`);
      await page.waitForSelector('#map svg g.node');
      await page
        .locator('#map g.node', { has: page.locator('title', { hasText: 'DynamoDB (AWS::DynamoDB::Table)' }) })
        .focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/traces\?/);
      const list = new URL(page.url());
      expect(list.searchParams.get('filter')).toBe('service(id(name: "DynamoDB", type: "AWS::DynamoDB::Table"))');
      expect(list.searchParams.get('range')).toBe('15m');
      await page.waitForSelector('#result tbody tr');
    },
  );

  test('does not refresh by itself unless auto-refresh is switched on', async () => {
    const calls: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/ServiceGraph')) calls.push(request.url());
    });
    await page.clock.install();
    await page.goto(`${daemon.endpoint}/`);
    await page.waitForSelector('#map svg g.node');
    await page.clock.runFor(60_000);
    expect(calls).toHaveLength(1);
    await page.check('#auto-refresh');
    await page.clock.runFor(10_500);
    for (let i = 0; i < 100 && calls.length < 2; i += 1) await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(2);
    await page.uncheck('#auto-refresh');
    await page.clock.runFor(30_000);
    expect(calls).toHaveLength(2);
    page.removeAllListeners('request');
  });
});

describe('time range', () => {
  test('is read from the URL, kept in the links, and written back when changed', async () => {
    await page.goto(`${daemon.endpoint}/?range=6h`);
    await expect(page.locator('#range').inputValue()).resolves.toBe('6h');
    await expect(page.locator('nav a', { hasText: 'Traces' }).getAttribute('href')).resolves.toBe('/traces?range=6h');
    await page.selectOption('#range', '5m');
    expect(new URL(page.url()).searchParams.get('range')).toBe('5m');
    await expect(page.locator('nav a', { hasText: 'Traces' }).getAttribute('href')).resolves.toMatch(
      /\/traces\?range=5m$/,
    );
  });
});

describe('trace list', () => {
  test('applies the filter box and links each trace to its timeline', async () => {
    await page.goto(`${daemon.endpoint}/traces?filter=${encodeURIComponent('fault')}`);
    await page.waitForSelector('#result table');
    const rows = page.locator('#result tbody tr');
    const now = Date.now() / 1000;
    const faults = await api<{ TraceSummaries: unknown[] }>('/TraceSummaries', {
      StartTime: now - 3600,
      EndTime: now + 60,
      FilterExpression: 'fault',
    });
    expect(faults.TraceSummaries.length).toBeGreaterThan(0);
    await expect(rows.count()).resolves.toBe(faults.TraceSummaries.length);
    await expect(rows.first().locator('.badge.fault').count()).resolves.toBe(1);

    await rows.first().locator('a').click();
    await page.waitForSelector('table.timeline button.entity');
    const timeline = await page.locator('table.timeline').textContent();
    expect(timeline).toContain('hangingException');
    expect(timeline).toContain('the request hung and failed');
    expect(await page.locator('table.timeline .fill.fault').count()).toBeGreaterThanOrEqual(2);
  });

  test('an invalid filter shows the API error instead of a list', async () => {
    await page.goto(`${daemon.endpoint}/traces`);
    await page.fill('#filter', 'annotation.QuestionId ~ "x"');
    await page.click('button[type=submit]');
    await expect(page.locator('.error-box').textContent()).resolves.toMatch(
      /ValidationException: Invalid filter expression at position 22: unexpected character "~"/,
    );
    // The browser logs the API's 400 itself: expected here, and nothing else.
    expect(pageErrors.splice(0)).toEqual([expect.stringMatching(/status of 400/)]);
  });
});

describe('trace timeline', () => {
  test('puts the entry segment first on a time axis, subsegments and callees nested under it', async () => {
    const question = questionDocument();
    await page.goto(`${daemon.endpoint}/traces/${question.trace_id}`);
    await page.waitForSelector('table.timeline button.entity');
    const names = await page.locator('table.timeline button.entity').allTextContents();
    expect(names[0]).toBe('mysfits-test-questions-api/test · AWS::ApiGateway::Stage');
    expect(names).toEqual(
      expect.arrayContaining([
        'mysfits-test-post-question · AWS::Lambda::Function',
        'DynamoDB · AWS::DynamoDB::Table (inferred)',
      ]),
    );
    const indent = async (text: string) =>
      page
        .locator('table.timeline tbody tr', { has: page.locator('button.entity', { hasText: text }) })
        .first()
        .locator('td')
        .first()
        .evaluate((td) => parseFloat(getComputedStyle(td).paddingLeft));
    expect(await indent('mysfits-test-post-question · AWS::Lambda::Function')).toBeGreaterThan(
      await indent('mysfits-test-questions-api/test'),
    );
    const ticks = await page.locator('table.timeline .axis span').allTextContents();
    expect(ticks[0]).toBe('0 ms');
    expect(ticks.length).toBeGreaterThanOrEqual(3);
  });

  test('shows Overview, Annotations, Metadata and Exceptions in tabs, switched with the arrow keys', async () => {
    const question = questionDocument();
    await page.goto(`${daemon.endpoint}/traces/${question.trace_id}`);
    await page.waitForSelector('[role=tab]');
    await expect(page.locator('[role=tabpanel]').textContent()).resolves.toContain('AWS::ApiGateway::Stage');
    await page.locator('[role=tab]', { hasText: 'Overview' }).focus();
    await page.keyboard.press('ArrowRight');
    await expect(page.locator('[role=tab][aria-selected=true]').textContent()).resolves.toBe('Annotations');
    await expect(page.locator('[role=tabpanel]').textContent()).resolves.toContain(
      question.annotations!.QuestionId as string,
    );

    const invalid = documents.find((d) => d.origin === 'AWS::ApiGateway::Stage' && d.http?.response?.status === 400)!;
    await page.goto(`${daemon.endpoint}/traces/${invalid.trace_id}`);
    await page.locator('button.entity', { hasText: 'validate' }).click();
    await page.locator('[role=tab]', { hasText: 'Metadata' }).click();
    await expect(page.locator('[role=tabpanel]').textContent()).resolves.toContain('question must not be empty');

    const hanging = documents.find((d) => d.origin === 'AWS::ApiGateway::Stage' && d.http?.response?.status === 502)!;
    await page.goto(`${daemon.endpoint}/traces/${hanging.trace_id}`);
    await page.locator('button.entity', { hasText: 'hangingException' }).click();
    await page.locator('[role=tab]', { hasText: 'Exceptions' }).click();
    const panel = page.locator('[role=tabpanel]');
    await expect(panel.locator('h3').textContent()).resolves.toBe('Error');
    await expect(panel.textContent()).resolves.toContain('hangingException: the request hung and failed');
    await expect(panel.locator('ol.stack li').allTextContents()).resolves.toEqual([
      'hangingException (/var/task/index.js:1)',
    ]);
  });

  test("links a question's post-question trace and its stream trace to each other through QuestionId", async () => {
    const question = questionDocument();
    const questionId = question.annotations!.QuestionId;
    const stream = documents.find(
      (d) => d.trace_id !== question.trace_id && JSON.stringify(d).includes(`"QuestionId":"${questionId}"`),
    )!;
    expect(stream).toBeDefined();
    await page.goto(`${daemon.endpoint}/traces/${question.trace_id}`);
    await page.waitForSelector('#related-traces a');
    await expect(page.locator('#related-traces a').allTextContents()).resolves.toEqual([stream.trace_id]);
    await page.click('#related-traces a');
    await page.waitForURL(new RegExp(stream.trace_id));
    await page.waitForSelector('#related-traces a');
    await expect(page.locator('#related-traces a').allTextContents()).resolves.toEqual([question.trace_id]);
  });
});

test(
  'every console answer carries a CSP allowing only its own ' + 'script file, and pages have no inline script',
  async () => {
    for (const path of [
      '/',
      '/traces',
      `/traces/${questionDocument().trace_id}`,
      '/console/app.js',
      '/console/console.css',
    ]) {
      const response = await fetch(`${daemon.endpoint}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      if (path.startsWith('/console/')) continue;
      const html = await response.text();
      expect(html.match(/<script[^>]*>/g)).toEqual(['<script type="module" src="/console/app.js">']);
      expect(html).not.toMatch(/<script[^>]*>[^<]/);
      expect(html).not.toMatch(/ on[a-z]+=/);
    }
    expect(CONTENT_SECURITY_POLICY).toMatch(/script-src 'self';/);
  },
);
