// `npm run screenshots` part: the inbox after the demo, as docs/img/inbox.png (headless Chromium).
import { resolve } from 'node:path';
import { replayDemo } from '../lib/local/demo';
import { launchChromium } from './chromium';

const base = `http://127.0.0.1:${process.env.PORT ?? 3000}`;
const browser = await launchChromium(process.env.CHROMIUM ?? '/usr/bin/chromium');
const page = await browser.newPage();
await page.setViewport({ width: 1800, height: 1000 });
await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
await replayDemo(resolve(import.meta.dirname, '..'), `${base}/events`, { spacingMs: 40 });
await new Promise((r) => setTimeout(r, 4000));
await page.screenshot({ path: resolve(import.meta.dirname, '../docs/img/inbox.png') });
await browser.close();
console.log('docs/img/inbox.png');
