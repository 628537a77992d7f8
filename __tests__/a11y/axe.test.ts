/**
 * Accessibility audits (axe-core, through @axe-core/playwright, in Debian's Chromium) of every page a person
 * uses: the website (gallery, a mysfit, the question form with its errors), the staff mailbox, and each X-Ray
 * console page (map with a node selected, traces, a trace timeline on each of its tabs), all with data in them.
 * A violation of impact "serious" or "critical" fails the test and is listed in the message.
 *
 * Cheap servers only: an X-Ray daemon fed with demo traces, and the gateway (the built site, config.json, the
 * mailbox page) with stand-in backends answering as the handlers do: no Java, no fauxqs, no Lambda runtime.
 */
import AxeBuilder from '@axe-core/playwright';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import mysfits from '../../data/mysfits.json';
import { buildWebsite, WEBSITE_OUT } from '../../build/website';
import { jsonResponse } from '../../handlers/shared/http-responses';
import { startGateway, type FunctionOutcome, type Gateway } from '../../sandbox/gateway/server';
import type { MailboxMessage } from '../../sandbox/mailbox/mailbox';
import { startStageTracer, type StageTracer } from '../../sandbox/tracing/stage-tracer';
import { startXRayDaemon, type XRayDaemon } from '../../sandbox/xray/daemon';
import { demoDocuments } from '../../sandbox/xray/demo-traces';
import type { SegmentDocument } from '../../sandbox/xray/segment-document';
import { sendDatagrams } from '../../sandbox/xray/udp-client';
import type { MysfitView } from '../../system/definition';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BLOCKING_IMPACTS = ['serious', 'critical'];

let daemon: XRayDaemon;
let tracer: StageTracer;
let gateway: Gateway;
let browser: Browser;
let page: Page;
let documents: SegmentDocument[];

const views: MysfitView[] = mysfits.map((m) => ({
  mysfitId: m.MysfitId,
  name: m.Name,
  species: m.Species,
  age: m.Age,
  goodEvil: m.GoodEvil as MysfitView['goodEvil'],
  lawChaos: m.LawChaos as MysfitView['lawChaos'],
  description: m.Description,
  thumbImageUri: m.ThumbImageUri,
  profileImageUri: m.ProfileImageUri,
  likes: m.Likes,
  adopted: m.Adopted,
}));

const MAIL: MailboxMessage[] = [
  {
    messageId: 'm-2',
    subject: 'New question about Evangeline',
    message: 'From: visitor@example.com\n\nDoes she get along with cats?',
    timestamp: '2026-01-02T10:00:00.000Z',
  },
  { messageId: 'm-1', message: 'A raw message without a subject', timestamp: '2026-01-01T09:00:00.000Z' },
];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH)`);
  buildWebsite();
  daemon = await startXRayDaemon({ port: 0 });
  documents = demoDocuments('test', 6);
  await sendDatagrams(daemon.address, documents);
  tracer = startStageTracer(daemon.address);
  gateway = await startGateway({
    ports: { website: 0, questions: 0, mysfits: 0, clicks: 0 },
    websiteDir: WEBSITE_OUT,
    tracer,
    links: () => ({ xrayConsole: daemon.endpoint }),
  });
  gateway.attach({
    invokeFunction: async (key, event): Promise<FunctionOutcome> => {
      const origin = gateway.allowedOrigin;
      if (key === 'postQuestion') return { ok: true, result: jsonResponse(origin, 201, { questionId: 'q-1' }) };
      const id = event.pathParameters?.mysfitId;
      if (!id) return { ok: true, result: jsonResponse(origin, 200, { mysfits: views }) };
      const one = views.find((v) => v.mysfitId === id);
      return {
        ok: true,
        result: one ? jsonResponse(origin, 200, one) : jsonResponse(origin, 404, { message: 'no such mysfit' }),
      };
    },
    putClickRecord: () => ({ recordId: '1' }),
    readMailbox: async () => MAIL,
  });
  for (let i = 0; i < 200 && daemon.store.stats().received < documents.length; i++)
    await new Promise((r) => setTimeout(r, 10));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  // AxeBuilder needs a page of a context made with browser.newContext().
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.setDefaultTimeout(10_000);
});

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await daemon?.stop();
});

/** The serious and critical violations on the page as it is now, one line per element. */
async function blockingViolations(include?: string): Promise<string[]> {
  // Only violations are read: axe then skips collecting every passing element (much less work).
  const builder = new AxeBuilder({ page }).options({ resultTypes: ['violations'] });
  if (include) builder.include(include);
  const { violations } = await builder.analyze();
  return violations
    .filter((v) => BLOCKING_IMPACTS.includes(v.impact ?? ''))
    .flatMap((v) =>
      v.nodes.map((n) => `${v.impact} ${v.id} (${v.help}) at ${n.target.join(' ')}: ${n.failureSummary ?? ''}`),
    );
}

/** Audits the page, or only the part `include` selects (when the rest was audited already: faster). */
async function expectAccessible(what: string, include?: string): Promise<void> {
  const found = await blockingViolations(include);
  if (found.length) throw new Error(`${what}: ${found.length} serious/critical axe violation(s):\n${found.join('\n')}`);
}

describe('website', () => {
  test('the gallery', async () => {
    await page.goto(`${gateway.url}/#/`);
    await page.locator('a[href^="#/mysfits/"]').first().waitFor();
    await expectAccessible('gallery');
  });

  test("a mysfit's page", async () => {
    await page.goto(`${gateway.url}/#/mysfits/${views[0].mysfitId}`);
    await page.getByRole('heading', { name: views[0].name }).first().waitFor();
    await expectAccessible("a mysfit's page");
  });

  test('the question form, empty and with its errors shown', async () => {
    await page.goto(`${gateway.url}/#/contact`);
    const form = page.locator('#contact-view form');
    await form.waitFor();
    await expectAccessible('question form');
    await form.locator('button[type=submit]').click();
    await expectAccessible('question form with errors', '#contact-view');
  });
});

test('the staff mailbox, with mail in it', async () => {
  await page.goto(`${gateway.url}/_sandbox/mailbox`);
  await page.getByText('Does she get along with cats?').waitFor();
  await expectAccessible('mailbox');
});

describe('X-Ray console', () => {
  test('the service map, with a node selected and its histogram shown', async () => {
    await page.goto(`${daemon.endpoint}/`);
    await page.waitForSelector('#map svg g.node');
    await expectAccessible('service map');
    await page.locator('#map g.node').nth(2).click();
    await page.waitForSelector('.histogram');
    await expectAccessible('service map with a node selected', '#details');
  });

  test('the trace list', async () => {
    await page.goto(`${daemon.endpoint}/traces`);
    await page.waitForSelector('#result table');
    await expectAccessible('trace list');
  });

  test('a trace timeline on each tab, each with data', async () => {
    const stage = (status: number) =>
      documents.find((d) => d.origin === 'AWS::ApiGateway::Stage' && d.http?.response?.status === status)!;
    // A question that was stored: its QuestionId annotation, and the related stream trace.
    await page.goto(`${daemon.endpoint}/traces/${stage(200).trace_id}`);
    await page.waitForSelector('#related-traces a');
    await expectAccessible('trace timeline, Overview tab');
    await page.locator('[role=tab]', { hasText: 'Annotations' }).click();
    await expectAccessible('trace timeline, Annotations tab', '.tabs');
    // A rejected question: the client error's metadata.
    await page.goto(`${daemon.endpoint}/traces/${stage(400).trace_id}`);
    await page.locator('button.entity', { hasText: 'validate' }).click();
    await page.locator('[role=tab]', { hasText: 'Metadata' }).click();
    await page.getByText('question must not be empty').waitFor();
    await expectAccessible('trace timeline, Metadata tab', '.tabs');
    // The hanging request: an exception with its stack.
    await page.goto(`${daemon.endpoint}/traces/${stage(502).trace_id}`);
    await page.locator('button.entity', { hasText: 'hangingException' }).click();
    await page.locator('[role=tab]', { hasText: 'Exceptions' }).click();
    await page.locator('ol.stack').waitFor();
    await expectAccessible('trace timeline, Exceptions tab', '.tabs');
  });
});
