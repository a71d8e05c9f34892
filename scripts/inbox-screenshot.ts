// `npm run screenshots` part: the inbox after the demo, as docs/img/inbox.png (headless Chromium).
import { resolve } from 'node:path';
import { replayDemo } from '../lib/local/demo';
import { launchChromium } from './chromium';

const base = `http://127.0.0.1:${process.env.PORT ?? 3000}`;
const browser = await launchChromium(process.env.CHROMIUM ?? '/usr/bin/chromium');
const page = await browser.newPage();
// INBOX_SIZE=1366x768 and INBOX_PNG=… for other shots (the browser test checks a laptop's width).
const [width, height] = (process.env.INBOX_SIZE ?? '1800x1000').split('x').map(Number);
await page.setViewport({ width: width ?? 1800, height: height ?? 1000 });
await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
await replayDemo(resolve(import.meta.dirname, '..'), `${base}/events`, { spacingMs: 40 });
await new Promise((r) => setTimeout(r, 4000));
const out = process.env.INBOX_PNG ?? resolve(import.meta.dirname, '../docs/img/inbox.png');
await page.screenshot({ path: out });
console.log(out);
// The failed checkout rollout's page, opened from its Slack message's link.
const href = await page.$eval('.col[data-provider="slack"] a.link[href*="/rollouts/shop/checkout/"]', (a) =>
  a.getAttribute('href'),
);
if (href) {
  const rollout = await browser.newPage();
  await rollout.setViewport({ width: 1000, height: 1400 });
  await rollout.goto(href, { waitUntil: 'domcontentloaded' });
  const png = process.env.PAGE_PNG ?? resolve(import.meta.dirname, '../docs/img/rollout-page.png');
  await rollout.screenshot({ path: png, fullPage: false });
  console.log(png);
}
await browser.close();
