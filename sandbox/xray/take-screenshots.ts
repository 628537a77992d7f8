/**
 * Screenshots of the console for docs/local-xray.md, from demo traffic:
 *   npx tsx sandbox/xray/take-screenshots.ts
 * Uses the system Chromium (/usr/bin/chromium, or CHROMIUM_PATH) through playwright-core; loopback only.
 */
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { startXRayDaemon } from './daemon';
import { sendDemoTraces } from './demo-traces';

const OUT = path.join(__dirname, '..', '..', 'docs', 'images');

async function main() {
  const daemon = await startXRayDaemon({ port: 0 });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    await sendDemoTraces(daemon.address);
    await new Promise((r) => setTimeout(r, 300));
    const page = await browser.newPage({ viewport: { width: 1500, height: 720 } });
    await page.goto(`${daemon.endpoint}/`);
    await page.waitForSelector('#map svg g.node');
    await page.screenshot({ path: path.join(OUT, 'xray-service-map.png'), fullPage: true });

    // The timeline of a successful question: stage -> Lambda -> function -> DynamoDB.
    await page.goto(
      `${daemon.endpoint}/traces?filter=${encodeURIComponent('annotation.QuestionId BEGINSWITH "q-" AND service("DynamoDB")')}`,
    );
    const link = page.locator('#result a').first();
    await link.waitFor();
    await link.click();
    await page.waitForSelector('table.timeline button.entity');
    await page.setViewportSize({ width: 1300, height: 560 });
    await page.screenshot({ path: path.join(OUT, 'xray-trace.png'), fullPage: true });
    console.log(`screenshots written to ${OUT}`);
  } finally {
    await browser.close();
    await daemon.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
