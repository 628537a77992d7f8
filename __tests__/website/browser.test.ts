// The callbacks given to page.waitForFunction / page.evaluate run inside Chromium, so this file sees the DOM types.
/// <reference lib="dom" />

/**
 * The website in a real browser (Debian's chromium, headless, driven by playwright-core) against the local
 * sandbox: the built site, its config.json and the real handlers behind the APIs. The site and each API are
 * separate origins, as deployed, so every API call is cross-origin and the browser does its CORS checks
 * (preflights included); a wrong allowed origin is shown to fail as it would on AWS. Each step saves a
 * screenshot under test-artifacts/website/.
 */
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import mysfits from '../../data/mysfits.json';
import { WEBSITE_OUT } from '../../build/website';
import { FREE_PORTS, startSandbox } from '../../sandbox';
import { startGateway, type FunctionOutcome } from '../../sandbox/gateway/server';
import { startStageTracer } from '../../sandbox/tracing/stage-tracer';
import { jsonResponse } from '../../handlers/shared/http-responses';
import { destroyClients, localClients, type LocalClients } from '../../sandbox/local-aws';
import { getFreePort } from '../../sandbox/services/local-services';

// The test's own SDK clients would print the SDK's Node 20 support warning: noise here.

const ARTIFACTS = path.join(__dirname, '../../test-artifacts/website');
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

let sandbox: Awaited<ReturnType<typeof startSandbox>>;
let browser: Browser;
let aws: LocalClients;
let siteOrigin: string;
/** The origins a page may call: the site's and the three APIs'. */
let knownOrigins: string[];
/** The sandbox's access log, one parsed line per API request. */
const accessLog: { api: string; httpMethod: string; resourcePath: string; status: string }[] = [];

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  [sandbox, browser] = await Promise.all([
    startSandbox({ ...FREE_PORTS, accessLog: (line, api) => accessLog.push({ ...JSON.parse(line), api }) }),
    chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS }),
  ]);
  siteOrigin = new URL(sandbox.url).origin;
  knownOrigins = [siteOrigin, ...Object.values(sandbox.apis).map((api) => new URL(api).origin)];
  aws = localClients({ dynamodb: sandbox.dynamodbEndpoint, fauxqs: sandbox.fauxqsEndpoint });
});

afterAll(async () => {
  if (aws) destroyClients(aws);
  await browser?.close();
  await sandbox?.stop();
});

/** A fresh visitor (own localStorage); fails the test on any page error or request to a host not in config.json. */
async function visit(
  hash = '',
  options: Parameters<Browser['newContext']>[0] = {},
): Promise<{ page: Page; context: BrowserContext; foreign: string[]; requests: Request[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  // Fail fast with the locator named, rather than after playwright's 30 s default.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const foreign: string[] = [];
  const requests: Request[] = [];
  page.on('request', (request) => {
    requests.push(request);
    const url = request.url();
    if (!url.startsWith('data:') && !knownOrigins.includes(new URL(url).origin)) foreign.push(url);
  });
  page.on('pageerror', (err) => foreign.push(`page error: ${err.message}`));
  await page.goto(new URL(hash, sandbox.url).href);
  return { page, context, foreign, requests };
}

let step = 0;
async function shot(page: Page, name: string): Promise<void> {
  step += 1;
  await page.screenshot({ path: path.join(ARTIFACTS, `${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/** Preflights the sandbox answered for a resource since `from` (the browser sends them; pages never see them). */
const preflights = (resourcePath: string, from = 0) =>
  accessLog.slice(from).filter((l) => l.httpMethod === 'OPTIONS' && l.resourcePath === resourcePath);

const cardNames = (page: Page) => page.locator('#gallery .card-name').allTextContents();
const namesWhere = (pick: (m: (typeof mysfits)[number]) => boolean) =>
  mysfits
    .filter(pick)
    .map((m) => m.Name)
    .sort();

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('Mythical Mysfits website', () => {
  it('shows the gallery of 12 mysfits, with their pictures, from the mysfits API on its own origin', async () => {
    const { page, context, foreign, requests } = await visit();
    await page.locator('#gallery .card').nth(11).waitFor();
    expect((await cardNames(page)).sort()).toEqual(namesWhere(() => true));
    await expect(page.locator('#gallery-status').textContent()).resolves.toBe('12 mysfits');
    // Every picture decoded (the SVG files exist and are served with an image type).
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll<HTMLImageElement>('#gallery img')).every((i) => i.complete),
    );
    const broken = await page.$$eval('#gallery img', (imgs) =>
      (imgs as HTMLImageElement[]).filter((i) => i.naturalWidth === 0).map((i) => i.src),
    );
    expect(broken).toEqual([]);
    expect(await page.locator('img:not([alt])').count()).toBe(0);
    await shot(page, 'gallery');
    expect(foreign).toEqual([]);
    // A cross-origin call (a simple GET: no preflight), answered with the website's origin allowed.
    const list = requests.find((r) => r.url().startsWith(`${sandbox.apis.mysfits}/mysfits`))!;
    expect(list).toBeDefined();
    expect(new URL(list.url()).origin).not.toBe(siteOrigin);
    expect((await list.response())!.headers()['access-control-allow-origin']).toBe(siteOrigin);
    await context.close();
  });

  it('filters by alignment through the API (Evil, then Lawful)', async () => {
    const { page, context } = await visit();
    await page.locator('#gallery .card').nth(11).waitFor();
    const evilRequest = page.waitForRequest((r) => r.url().includes('/mysfits?'));
    await page.selectOption('#filter', 'GoodEvil/Evil');
    expect(new URL((await evilRequest).url()).searchParams.toString()).toBe('filter=GoodEvil&value=Evil');
    await page.waitForFunction(() => document.querySelector('#gallery-status')?.textContent?.includes('evil'));
    expect((await cardNames(page)).sort()).toEqual(namesWhere((m) => m.GoodEvil === 'Evil'));
    expect(page.url()).toMatch(/#\/filter\/GoodEvil\/Evil$/);
    await shot(page, 'filter-evil');

    await page.selectOption('#filter', 'LawChaos/Lawful');
    await page.waitForFunction(() => document.querySelector('#gallery-status')?.textContent?.includes('lawful'));
    expect((await cardNames(page)).sort()).toEqual(namesWhere((m) => m.LawChaos === 'Lawful'));

    // A filtered link opens filtered; "All" brings the 12 back.
    await page.reload();
    await page.waitForFunction(() => document.querySelector('#gallery-status')?.textContent?.includes('lawful'));
    expect(await page.inputValue('#filter')).toBe('LawChaos/Lawful');
    await page.selectOption('#filter', '');
    await page.waitForFunction(() => document.querySelectorAll('#gallery .card').length === 12);
    await context.close();
  });

  it('opens a profile; the click, preflighted cross-origin, is accepted and lands in the clicks bucket', async () => {
    const { page, context } = await visit();
    const logged = accessLog.length;
    const gary = mysfits.find((m) => m.Name === 'Gary')!;
    const clickResponse = page.waitForResponse((r) => r.url().endsWith('/clicks') && r.request().method() === 'PUT');
    await page.getByRole('link', { name: /Gary/ }).click();
    const response = await clickResponse;
    expect(response.status()).toBe(200);
    expect(response.url()).toBe(`${sandbox.apis.clicks}/clicks`);
    // A JSON PUT is not a simple request: the browser asked first, and the clicks API allowed it.
    expect(preflights('/clicks', logged).map((l) => l.status)).toContain('204');
    const click = response.request().postDataJSON() as { userId: string; mysfitId: string };
    expect(click.mysfitId).toBe(gary.MysfitId);
    expect(click.userId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(await page.evaluate(() => localStorage.getItem('mysfits.userId'))).toBe(click.userId);

    await expect(page.locator('#profile-name').textContent()).resolves.toBe('Gary');
    await expect(page.locator('#profile-species').textContent()).resolves.toBe('Kraken');
    await expect(page.locator('#profile-age').textContent()).resolves.toBe('709 years');
    await expect(page.locator('#profile-alignment').textContent()).resolves.toBe('Chaotic Neutral');
    await expect(page.locator('#profile-description').textContent()).resolves.toBe(gary.Description);
    expect(await page.getAttribute('#profile-image', 'alt')).toBe('Gary the kraken');
    expect(await page.$eval('#profile-image', (i) => (i as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    // Keyboard and screen-reader users land on the profile's heading.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('profile-name');
    await shot(page, 'profile');

    // The same visitor keeps the same id for the next profile.
    const second = page.waitForRequest((r) => r.url().endsWith('/clicks'));
    await page.click('.back');
    await page.getByRole('link', { name: /CoCo/ }).click();
    expect(((await second).postDataJSON() as { userId: string }).userId).toBe(click.userId);

    const record = await waitFor(
      'the click in the clicks bucket',
      () => findClick(click.userId, gary.MysfitId),
      90_000,
    );
    expect(record).toMatchObject({ userId: click.userId, mysfitId: gary.MysfitId, species: 'Kraken' });
    await context.close();
  });

  it('does not bother the visitor when a click cannot be sent', async () => {
    const { page, context } = await visit();
    await page.route('**/clicks', (route) => route.abort('connectionrefused'));
    const attempted = page.waitForRequest((r) => r.url().endsWith('/clicks'));
    await page.getByRole('link', { name: /Nessi/ }).click();
    await attempted;
    await expect(page.locator('#profile-name').textContent()).resolves.toBe('Nessi');
    expect(await page.locator('#site-notice').isHidden()).toBe(true);
    await context.close();
  });

  it('says so when a profile link names no mysfit, and records no click for it', async () => {
    const { page, context, requests } = await visit('#/mysfits/no-such-mysfit');
    await page.waitForFunction(() =>
      document.querySelector('#profile-status')?.textContent?.startsWith('There is no mysfit'),
    );
    expect(await page.locator('#profile').isHidden()).toBe(true);
    expect(requests.map((r) => r.url()).filter((url) => url.endsWith('/clicks'))).toEqual([]);
    await context.close();
  });

  it('sends a valid question cross-origin (preflight first), shows success; the question is in the table', async () => {
    const { page, context } = await visit('#/contact');
    const logged = accessLog.length;
    await page.fill('#email', '  visitor@example.com ');
    await page.fill('#questionText', 'Does Hasla get along with cats?');
    const posted = page.waitForResponse((r) => r.url().endsWith('/questions') && r.request().method() === 'POST');
    await page.click('#question-submit');
    const response = await posted;
    expect(response.status()).toBe(201);
    expect(response.url()).toBe(`${sandbox.apis.questions}/questions`);
    expect(preflights('/questions', logged).map((l) => l.status)).toEqual(['204']);
    const { questionId } = (await response.json()) as { questionId: string };
    await page.waitForFunction(() => document.querySelector('#form-status')?.textContent?.startsWith('Thank you'));
    expect(await page.inputValue('#questionText')).toBe('');
    await shot(page, 'question-sent');

    const item = await aws.dynamodb.send(
      new GetItemCommand({
        TableName: sandbox.resources.questionsTable,
        Key: { QuestionId: { S: questionId } },
        ConsistentRead: true,
      }),
    );
    expect(item.Item?.UserEmailAddress?.S).toBe('visitor@example.com');
    expect(item.Item?.QuestionText?.S).toBe('Does Hasla get along with cats?');
    await context.close();
  });

  it('a retry after a lost answer sends the same Idempotency-Key: one question stored, first answer shown', async () => {
    const { page, context } = await visit('#/contact');
    const text = `Lost answer ${Date.now()}: does Gretta sing?`;
    const keys: string[] = [];
    let lose = true;
    await page.route('**/questions', async (route) => {
      keys.push(route.request().headers()['idempotency-key']);
      expect(route.request().postDataJSON()).toMatchObject({ website: '' }); // the honeypot, empty
      if (!lose) return route.continue();
      lose = false;
      await route.fetch(); // stored by the API...
      await route.abort('connectionreset'); // ...but the answer never reaches the page
    });
    await page.fill('#email', 'retry@example.com');
    await page.fill('#questionText', text);
    await page.click('#question-submit');
    await page.waitForFunction(() => document.querySelector('#form-error')?.textContent);
    expect(await page.inputValue('#questionText')).toBe(text);
    const posted = page.waitForResponse((r) => r.url().endsWith('/questions') && r.request().method() === 'POST');
    await page.click('#question-submit');
    expect((await posted).status()).toBe(201);
    await page.waitForFunction(() => document.querySelector('#form-status')?.textContent?.startsWith('Thank you'));
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    const stored = await aws.dynamodb.send(
      new ScanCommand({
        TableName: sandbox.resources.questionsTable,
        FilterExpression: 'QuestionText = :t',
        ExpressionAttributeValues: { ':t': { S: text } },
        ConsistentRead: true,
      }),
    );
    expect(stored.Items).toHaveLength(1);
    // The next question gets a new key.
    await page.fill('#email', 'retry@example.com');
    await page.fill('#questionText', `${text} And dance?`);
    const next = page.waitForResponse((r) => r.url().endsWith('/questions') && r.request().method() === 'POST');
    await page.click('#question-submit');
    await next;
    expect(keys[2]).not.toBe(keys[0]);
    await context.close();
  });

  it('shows a bad e-mail next to the field, without calling the API', async () => {
    const { page, context, requests } = await visit('#/contact');
    await page.fill('#email', 'visitor@example');
    await page.fill('#questionText', 'Is CoCo really 501?');
    await page.click('#question-submit');
    await expect(page.locator('#email-error').textContent()).resolves.toMatch(/e-mail address/i);
    expect(await page.getAttribute('#email', 'aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('email');
    expect(await page.locator('#questionText-error').textContent()).toBe('');
    expect(requests.filter((r) => r.url().endsWith('/questions'))).toHaveLength(0);
    await shot(page, 'bad-email-browser');
    await context.close();
  });

  it("shows the API's own 400 message next to the field it names, keeping what was typed", async () => {
    const { page, context } = await visit('#/contact');
    // Get past the browser's check once: the request leaves with a valid address and arrives with a bad one.
    await page.route('**/questions', async (route) => {
      const body = route.request().postDataJSON() as Record<string, unknown>;
      await route.continue({ postData: JSON.stringify({ ...body, email: 'not-an-email' }) });
    });
    await page.fill('#email', 'visitor@example.com');
    await page.fill('#questionText', 'Can I adopt two?');
    const answered = page.waitForResponse((r) => r.url().endsWith('/questions'));
    await page.click('#question-submit');
    const response = await answered;
    expect(response.status()).toBe(400);
    const body = (await response.json()) as { errors: { field: string; reason: string }[] };
    const apiReason = body.errors.find((e) => e.field === 'email')!.reason;
    await page.waitForFunction(() => document.querySelector('#email-error')?.textContent);
    expect((await page.locator('#email-error').textContent())!.toLowerCase()).toContain(apiReason.toLowerCase());
    expect(await page.inputValue('#questionText')).toBe('Can I adopt two?');
    expect(await page.locator('#form-status').textContent()).toBe('');
    await shot(page, 'bad-email-api');
    await context.close();
  });

  it('can be used by keyboard alone: open a profile, then send a question', async () => {
    const { page, context } = await visit();
    await page.locator('#gallery .card').nth(11).waitFor();
    // Tab from the top of the page until the first mysfit card has focus.
    const first = await page.locator('#gallery .card').first().getAttribute('data-mysfit-id');
    await tabUntil(page, (el) => el.dataset.mysfitId !== undefined);
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.mysfitId)).toBe(first);
    expect(await focusOutline(page)).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.locator('#profile:not([hidden])').waitFor();

    await page.keyboard.press('Shift+Tab'); // from the heading back to the header's links
    await tabUntil(page, (el) => el.textContent === 'Contact Us', 'Shift+Tab');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'contact-title');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('email');
    await page.keyboard.type('keys@example.com');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('questionText');
    await page.keyboard.type('Typed without a mouse.');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('question-submit');
    expect(await focusOutline(page)).not.toBe('none');
    await shot(page, 'keyboard-focus');
    const posted = page.waitForResponse((r) => r.url().endsWith('/questions'));
    await page.keyboard.press('Enter');
    expect((await posted).status()).toBe(201);
    await page.waitForFunction(() => document.querySelector('#form-status')?.textContent?.startsWith('Thank you'));
    await context.close();
  });

  it('fits a phone-sized screen', async () => {
    const { page, context } = await visit('', PHONE);
    await page.locator('#gallery .card').nth(11).waitFor();
    const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    expect(await fits()).toBe(true);
    // Two cards per row.
    const [a, b, c] = await page
      .locator('#gallery li')
      .evaluateAll((items) => items.slice(0, 3).map((i) => i.getBoundingClientRect().top));
    expect(a).toBe(b);
    expect(c).toBeGreaterThan(a);
    await shot(page, 'phone-gallery');
    await page.getByRole('link', { name: /Twilight Glitter/ }).tap();
    await page.locator('#profile:not([hidden])').waitFor();
    expect(await fits()).toBe(true);
    await shot(page, 'phone-profile');
    await page.getByRole('link', { name: 'Contact Us' }).tap();
    await page.locator('#question-form').waitFor();
    expect(await fits()).toBe(true);
    const button = await page.locator('#question-submit').boundingBox();
    expect(button!.height).toBeGreaterThanOrEqual(44); // a comfortable touch target
    await shot(page, 'phone-contact');
    await context.close();
  });

  it('says clearly when config.json is missing', async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    await page.route('**/config.json', (route) => route.fulfill({ status: 404, body: 'Not Found' }));
    await page.goto(sandbox.url);
    await page.locator('#site-notice').waitFor();
    expect(await page.locator('#site-notice').textContent()).toContain('config.json is missing');
    expect(await page.locator('#site-notice').getAttribute('role')).toBe('alert');
    await shot(page, 'config-missing');
    await context.close();
  });

  it('says clearly when an API cannot be reached, and recovers on retry', async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const nobody = `http://127.0.0.1:${await getFreePort()}`;
    const real = (await (await fetch(new URL('config.json', sandbox.url))).json()) as Record<string, string>;
    let broken = true;
    await page.route('**/config.json', (route) =>
      route.fulfill({ json: broken ? { ...real, mysfitsApiEndpoint: nobody } : real }),
    );
    await page.goto(sandbox.url);
    await page.locator('#site-notice').waitFor();
    expect(await page.locator('#site-notice').textContent()).toContain(`The mysfits API cannot be reached (${nobody})`);
    await shot(page, 'api-unreachable');

    // A passing outage: the first call fails, "Try again" loads the gallery and the notice goes away.
    broken = false;
    await page.route('**/mysfits', (route) => route.abort('connectionrefused'), { times: 1 });
    await page.reload();
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.locator('#gallery .card').nth(11).waitFor();
    expect(await page.locator('#site-notice').isHidden()).toBe(true);
    await context.close();
  });

  describe('when the APIs allow another origin than the one the site is served from', () => {
    // As if the stacks were given the CloudFront domain while the site is opened from another name.
    const WRONG_ORIGIN = 'https://d111111abcdef8.cloudfront.net';
    let wrong: Awaited<ReturnType<typeof startGateway>>;
    let tracer: ReturnType<typeof startStageTracer>;
    const invoked: string[] = [];

    beforeAll(async () => {
      // The built site, served by a second gateway whose APIs allow WRONG_ORIGIN; behind it, stand-ins answering
      // with the handlers' own response helper, given WRONG_ORIGIN as their ALLOWED_ORIGIN.
      tracer = startStageTracer(`127.0.0.1:${new URL(sandbox.xrayEndpoint).port}`);
      wrong = await startGateway({
        ports: { website: 0, questions: 0, mysfits: 0, clicks: 0 },
        websiteDir: WEBSITE_OUT,
        tracer,
        allowedOrigin: WRONG_ORIGIN,
        links: () => ({ xrayConsole: sandbox.xrayEndpoint }),
      });
      wrong.attach({
        invokeFunction: async (key): Promise<FunctionOutcome> => {
          invoked.push(key);
          const body = key === 'postQuestion' ? { questionId: 'q-1' } : { mysfits: [] };
          return { ok: true, result: jsonResponse(WRONG_ORIGIN, key === 'postQuestion' ? 201 : 200, body) };
        },
        putClickRecord: () => ({ recordId: '1' }),
        readMailbox: async () => [],
      });
    });

    afterAll(async () => {
      await wrong?.close();
      await tracer?.close();
    });

    async function openWrong(hash = '') {
      const context = await browser.newContext();
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      const console: string[] = [];
      page.on('console', (message) => console.push(message.text()));
      await page.goto(new URL(hash, wrong.url).href);
      return { page, context, console };
    }

    it('the browser blocks the gallery call and the page says the API cannot be reached', async () => {
      const { page, context, console } = await openWrong();
      await page.locator('#site-notice').waitFor();
      expect(await page.locator('#site-notice').textContent()).toContain(
        `The mysfits API cannot be reached (${wrong.apis.mysfits})`,
      );
      // The API did answer (the function ran); the browser refused to hand the answer to the page.
      expect(invoked).toContain('mysfitsApi');
      expect(console.join('\n')).toMatch(/blocked by CORS policy/);
      expect(console.join('\n')).toContain(WRONG_ORIGIN);
      expect(await page.locator('#gallery .card').count()).toBe(0);
      await shot(page, 'wrong-origin-gallery');
      await context.close();
    });

    it('the question never leaves: its preflight is refused, and the form says it was not sent', async () => {
      const { page, context, console } = await openWrong('#/contact');
      await page.fill('#email', 'visitor@example.com');
      await page.fill('#questionText', 'Is anyone there?');
      await page.click('#question-submit');
      await page.waitForFunction(() => document.querySelector('#form-error')?.textContent);
      expect(await page.locator('#form-error').textContent()).toContain(
        `The questions API cannot be reached (${wrong.apis.questions})`,
      );
      expect(invoked).not.toContain('postQuestion');
      expect(console.join('\n')).toMatch(/preflight/i);
      expect(await page.inputValue('#questionText')).toBe('Is anyone there?');
      await shot(page, 'wrong-origin-question');
      await context.close();
    });
  });
});

async function tabUntil(page: Page, found: (el: HTMLElement) => boolean, key = 'Tab', max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    if (await page.evaluate(`(${found.toString()})(document.activeElement)`)) return;
  }
  throw new Error(`focus never reached the element after ${max} × ${key}`);
}

function focusOutline(page: Page): Promise<string> {
  return page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
}

/** The clicks bucket's JSON Lines objects, searched for this visitor's click on this mysfit. */
async function findClick(userId: string, mysfitId: string): Promise<Record<string, unknown> | undefined> {
  const bucket = sandbox.resources.clicksBucket;
  const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const object of listed.Contents ?? []) {
    const body = await (
      await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key! }))
    ).Body!.transformToString();
    for (const line of body.split('\n').filter(Boolean)) {
      const record = JSON.parse(line) as Record<string, unknown>;
      if (record.userId === userId && record.mysfitId === mysfitId) return record;
    }
  }
  return undefined;
}
