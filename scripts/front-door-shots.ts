// Screenshots for a change to the inbox or the rollout page, at a laptop's 1366×768: the inbox
// after the demo, and a waiting canary's page after a long wait (Flagger asking at every check).
// Usage: PORT=… SHOTS=dir node --import tsx scripts/front-door-shots.ts  (npm start running there)
import { resolve } from 'node:path';
import { replayDemo } from '../lib/local/demo';
import { flaggerWaitingForApproval } from '../lib/local/flagger';
import { launchChromium } from './chromium';

const base = `http://127.0.0.1:${process.env.PORT ?? 3000}`;
const dir = process.env.SHOTS ?? '.';
const label = process.env.LABEL ?? 'now';
const browser = await launchChromium(process.env.CHROMIUM ?? '/usr/bin/chromium');
const page = await browser.newPage();
await page.setViewport({ width: 1366, height: 768 });
await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
await replayDemo(resolve(import.meta.dirname, '..'), `${base}/events`, { spacingMs: 40 });
await new Promise((r) => setTimeout(r, 4000));
await page.screenshot({ path: `${dir}/inbox-1366-${label}.png` });
const whole = await page.$$eval(
  '.col',
  (cs) =>
    cs.filter((c) => c.getBoundingClientRect().left >= 0 && c.getBoundingClientRect().right <= 1366).length,
);
// A canary that waits: 150 checks, as the demo's 5 minutes at 2 s make.
await flaggerWaitingForApproval(base, {
  name: 'waiting',
  namespace: 'demo',
  intervalMs: 10,
  waitMs: Number(process.env.WAIT_MS ?? 25_000),
});
await new Promise((r) => setTimeout(r, 4000));
const href = await page
  .$eval('.col[data-provider="slack"] a.link[href*="/rollouts/demo/waiting/"]', (a) => a.getAttribute('href'))
  .catch(() => undefined);
if (href) {
  const p = await browser.newPage();
  await p.setViewport({ width: 1366, height: 768 });
  const res = await p.goto(href, { waitUntil: 'domcontentloaded' });
  const bytes = (await res?.text())?.length ?? 0;
  const height = await p.evaluate(() => document.documentElement.scrollHeight);
  await p.screenshot({ path: `${dir}/waiting-page-1366-${label}.png` });
  console.log(
    JSON.stringify({ label, wholeColumnsAt1366: whole, waitingPageBytes: bytes, waitingPageHeight: height }),
  );
} else console.log(JSON.stringify({ label, wholeColumnsAt1366: whole, waitingPage: 'no link found' }));
await browser.close();
