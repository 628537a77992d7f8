/**
 * Screenshots of the local X-Ray console after real traffic through the sandbox (for the README):
 *   npx tsx tools/sandbox-screenshots.ts
 * Starts a sandbox on free ports, sends a question, a click and an invalid question through its gateway, waits for
 * the stream and Firehose traces, and saves docs/images/sandbox-service-map.png and sandbox-question-trace.png.
 * Uses the system Chromium (/usr/bin/chromium, or CHROMIUM_PATH) through playwright-core; loopback only.
 */
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { FREE_PORTS, startSandbox } from '../sandbox';
import mysfits from '../data/mysfits.json';

const OUT = path.join(__dirname, '..', 'docs', 'images');

async function send(url: string, method: string, body: unknown): Promise<Response> {
  return fetch(url, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

async function main() {
  const sandbox = await startSandbox({ ...FREE_PORTS });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const question = await send(`${sandbox.apis.questions}/questions`, 'POST', {
      email: 'visitor@example.com',
      questionText: 'Does Gary the kraken get along with cats?',
    });
    const { questionId } = (await question.json()) as { questionId: string };
    await send(`${sandbox.apis.clicks}/clicks`, 'PUT', { userId: 'readme-visitor', mysfitId: mysfits[6].MysfitId });
    await send(`${sandbox.apis.questions}/questions`, 'POST', { email: 'not-an-address', questionText: '' });
    await fetch(`${sandbox.apis.mysfits}/mysfits`);
    // The stream handler and the Firehose flush (1 s in the sandbox) come a little later.
    await new Promise((r) => setTimeout(r, 5000));

    const page = await browser.newPage({ viewport: { width: 1500, height: 760 } });
    await page.goto(`${sandbox.xrayEndpoint}/`);
    await page.waitForSelector('#map svg g.node');
    await page.screenshot({ path: path.join(OUT, 'sandbox-service-map.png'), fullPage: true });

    await page.goto(
      `${sandbox.xrayEndpoint}/traces?filter=${encodeURIComponent(`annotation.QuestionId = "${questionId}" AND service("DynamoDB")`)}`,
    );
    const link = page.locator('#result a').first();
    await link.waitFor();
    await link.click();
    await page.waitForSelector('table.timeline tr.entity');
    await page.setViewportSize({ width: 1300, height: 560 });
    await page.screenshot({ path: path.join(OUT, 'sandbox-question-trace.png'), fullPage: true });
    console.log(`screenshots written to ${OUT}`);
  } finally {
    await browser.close();
    await sandbox.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
