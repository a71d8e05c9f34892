/// <reference lib="dom" />
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOKS } from '../lib/local/inbox-page';
import { PROVIDERS } from '../lib/providers/catalog';
import { launchChromium } from '../scripts/chromium';
import { lowContrast } from './helpers/contrast';

// Debian's chromium, which .ci/run installs. Elsewhere the test is skipped with a note, unless
// REQUIRE_CHROMIUM=1 (CI) makes its absence a failure.
const chromium = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
})();
if (!chromium && process.env.REQUIRE_CHROMIUM === '1') throw new Error('chromium is not installed');
if (!chromium) console.log('skipping the inbox browser test: apt-get install chromium');

const root = resolve(import.meta.dirname, '..');

describe.skipIf(!chromium)('the local inbox in a real browser (headless Chromium)', () => {
  let child: ChildProcess;
  let base = '';
  let browser: Browser;
  let output = '';
  beforeAll(async () => {
    // `npm start` with nothing configured: every provider delivers to the inbox's stand-ins.
    child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local.ts'], {
      cwd: root,
      env: {
        ...process.env,
        PORT: '0',
        SQS_PORT: '0',
        DEMO_SPACING_MS: '40',
        // The demo's waiting canary asks its gate (and says so to every provider) on each interval
        // for the rest of the run: often enough to wait briefly, seldom enough not to load the
        // tests after it (a 200 ms interval made a later click's answers time out under CI's load).
        DEMO_GATE_INTERVAL_MS: '1000',
        // The status function re-sends firing alerts: often, to prove they stay one card each.
        LOCAL_STATUS_SECONDS: '1',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        EVENTS: '',
        SLACK_WEBHOOK_URL: '',
        TEAMS_WEBHOOK_URL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    base = await new Promise<string>((ok, fail) => {
      const onData = (d: Buffer) => {
        output += d;
        const m = output.match(/inbox +(http:\/\/127\.0\.0\.1:\d+)\//);
        if (m?.[1]) ok(m[1]);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => fail(new Error(`npm start exited with ${code}:\n${output}`)));
    });
    browser = await launchChromium(chromium);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    child?.kill('SIGTERM');
  });
  /** A canary of its own (`<name>.web`), initialised, then halted waiting for approval. */
  const waitingCanary = async (name: string) => {
    const lines = readFileSync(resolve(root, 'events/flagger-events.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"frontend"'))
      .slice(0, 3);
    for (const l of lines) {
      const e = JSON.parse(l);
      e.name = name;
      e.metadata.eventMessage = e.metadata.eventMessage.replace('frontend.web', `${name}.web`);
      e.metadata.timestamp = String(Date.now());
      const r = await fetch(`${base}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(e),
      });
      expect(r.status).toBe(202);
    }
  };

  it.each([
    [1366, 768],
    [1920, 1080],
  ])(
    'before any event, says what to do; at %i × %i every provider is one click away in the bar, its column then whole on screen',
    async (width, height) => {
      const page = await browser.newPage();
      await page.setViewport({ width, height });
      await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
      expect(await page.$eval('#empty', (e) => e.textContent)).toContain('No messages yet.');
      const cols = await page.$$eval('.col', (cs) =>
        cs.map((c) => c.querySelector('h2')?.firstChild?.textContent),
      );
      // Zero-config npm start: every provider is on (the stand-ins), live ones first.
      const titles = [...PROVIDERS].sort((a, b) => LOOKS[a.id].order - LOOKS[b.id].order).map((p) => p.title);
      expect(cols).toEqual(titles);
      expect(cols.slice(0, 4)).toEqual(['Slack app', 'Discord', 'Teams bot', 'Slack']);
      // The bar names each with its count, and lies within the first screen.
      const bar = await page.$$eval('nav button', (bs) =>
        bs.map((b) => ({
          text: b.firstChild?.textContent,
          count: b.querySelector('b')?.textContent,
          bottom: b.getBoundingClientRect().bottom,
        })),
      );
      expect(bar.map((b) => b.text)).toEqual(titles);
      expect(bar.every((b) => b.count === '0' && b.bottom <= height)).toBe(true);
      // The columns' scrollbar is on screen, not at the bottom of a long page.
      expect(await page.$eval('main', (m) => m.getBoundingClientRect().bottom)).toBeLessThanOrEqual(height);
      for (const [i, title] of titles.entries()) {
        await page.click(`nav button:nth-child(${i + 1})`);
        const box = await page.$eval(`.col:nth-child(${i + 1})`, (c) => {
          const r = c.getBoundingClientRect();
          return { left: r.left, right: r.right };
        });
        expect({ title, inView: box.left >= 0 && box.right <= width }).toEqual({ title, inView: true });
      }
      expect(await lowContrast(page)).toEqual([]);
      await page.close();
    },
    30_000,
  );

  it('shows the demo live: one Slack message per rollout with its outcome, Teams cards by adaptivecards, no errors, hostile text inert', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('dialog', async (d) => {
      problems.push(`dialog: ${d.message()}`);
      await d.dismiss();
    });
    await page.setViewport({ width: 1600, height: 1000 });
    await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
    const t0 = Date.now();
    await page.click('#demo');
    // All 40 sample events: 9 rollouts (api.team-a's event with metadata.cluster is prod-eu-1's
    // canary, the one without is the cluster-less one), each one live Slack message; the last ones
    // end promoted/failed; then the demo's own canary, shipping.demo, waits for promotion approval.
    await page.waitForFunction(
      () => {
        const live = document.querySelectorAll('.col[data-provider="slack-app"] .msg[data-kind="message"]');
        const text = document.querySelector('.col[data-provider="slack-app"]')?.textContent ?? '';
        return (
          live.length === 10 &&
          text.includes('podinfo.test · Promoted') &&
          text.includes('checkout.shop · Failed') &&
          // The failure's thread reply follows its message's redraw.
          text.includes('Failed: Rolling back checkout.shop') &&
          text.includes('shipping.demo · Waiting')
        );
      },
      { timeout: 45_000 },
    );
    console.log(
      `inbox: the sample rollouts reached their outcome in the page ${Date.now() - t0} ms after the demo started`,
    );
    const teamsCards = await page.$$eval('.col[data-provider="teams"] .ac-adaptiveCard', (e) => e.length);
    expect(teamsCards).toBeGreaterThan(0);
    // A thread under the failed rollout, as Slack shows it.
    const thread = await page.$$eval('.col[data-provider="slack-app"] .thread', (t) =>
      t.map((x) => x.textContent).join('\n'),
    );
    expect(thread).toContain('❌ Failed: Rolling back checkout.shop failed checks threshold reached 5');
    // Oldest first, as a chat shows it: the first rollout's message above the last one's.
    const order = await page.$$eval('.col[data-provider="slack-app"] .msg[data-kind="message"]', (m) =>
      m.map((x) => x.textContent ?? ''),
    );
    expect(order.findIndex((t) => t.includes('podinfo.test'))).toBeLessThan(
      order.findIndex((t) => t.includes('api.team-a')),
    );
    expect(await page.$eval('#empty', () => true).catch(() => false)).toBe(false);
    // Alertmanager: one card per alert however often it is re-sent, showing its current state.
    const cards = () =>
      page.$$eval('.col[data-provider="alertmanager"] .alert', (a) => a.map((x) => x.textContent ?? ''));
    await page.waitForFunction(
      () => document.querySelectorAll('.col[data-provider="alertmanager"] .alert').length > 0,
      { timeout: 10_000 },
    );
    // Three status runs re-send the firing alert: the inbox must still show it once.
    const posts = async () =>
      ((await (await fetch(`${base}/inbox/messages`)).json()) as { provider: string }[]).filter(
        (x) => x.provider === 'alertmanager',
      ).length;
    const first = await posts();
    for (let i = 0; i < 100 && (await posts()) < first + 3; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await posts()).toBeGreaterThanOrEqual(first + 3);
    const alerts = await cards();
    expect(alerts.filter((t) => t.includes('shop/checkout'))).toHaveLength(1);
    expect(alerts.find((t) => t.includes('shop/checkout'))).toMatch(/^firing/);
    expect(new Set(alerts).size).toBe(alerts.length);

    // Hostile event text stays text.
    const hostile = {
      name: 'evil',
      namespace: 'test',
      phase: 'Failed',
      metadata: {
        eventMessage:
          'Canary failed! <img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>',
        eventType: 'Warning',
        timestamp: String(Date.now()),
      },
    };
    const res = await fetch(`${base}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(hostile),
    });
    expect(res.status).toBe(202);
    await page.waitForFunction(() => (document.body.textContent ?? '').includes('<img src=x onerror='), {
      timeout: 20_000,
    });
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.$$eval('main img', (i) => i.length)).toBe(0);
    expect(problems).toEqual([]);
    // Every provider's messages, and the bar's counts, readable (WCAG 4.5:1).
    expect(
      await page.$eval('nav button[data-provider="slack-app"] b', (b) => Number(b.textContent)),
    ).toBeGreaterThanOrEqual(10);
    expect(await lowContrast(page)).toEqual([]);

    // The rollout page behind a message, opened from the inbox.
    const href = await page.$eval(
      '.col[data-provider="slack"] a.link[href*="/rollouts/shop/checkout/"]',
      (a) => (a as HTMLAnchorElement).getAttribute('href'),
    );
    const pageTab = await browser.newPage();
    const opened = await pageTab.goto(href as string, { waitUntil: 'domcontentloaded' });
    expect(opened?.status()).toBe(200);
    expect(await pageTab.$eval('h1', (h) => h.textContent)).toBe('shop/checkout · failed');
    expect(await pageTab.$$eval('table tr td.msg', (t) => t.length)).toBeGreaterThan(6);
    expect(await lowContrast(pageTab)).toEqual([]);
    await pageTab.close();
  }, 90_000);

  it('approves a waiting canary with a click in the Slack look-alike, signed as Slack signs it: /gate/check 403 → 200', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
    const gateCheck = async () =>
      (
        await fetch(`${base}/gate/check`, {
          method: 'POST',
          body: JSON.stringify({ name: 'approve', namespace: 'web', phase: 'Waiting', metadata: {} }),
        })
      ).status;
    // A canary of its own, initialised, then halted: "waiting for approval gate-keeper".
    await waitingCanary('approve');
    // This canary's message (the demo's shipping.demo may be waiting too), and its Approve button.
    const label = 'approve.web · Waiting';
    const button = await page.waitForFunction(
      (l) =>
        [...document.querySelectorAll('.col[data-provider="slack-app"] .msg')]
          .find((m) => m.textContent?.includes(l))
          ?.querySelector('button[data-action="gate-open"]'),
      { timeout: 20_000 },
      label,
    );
    expect(await gateCheck()).toBe(403);
    await (button as unknown as { click(): Promise<void> }).click();
    // The message shows who approved in place of its buttons, and its thread says so too.
    await page.waitForFunction(
      (l) => {
        const m = [...document.querySelectorAll('.col[data-provider="slack-app"] .msg')].find((x) =>
          x.textContent?.includes(l),
        );
        return (
          m &&
          !m.querySelector('button[data-action="gate-open"]') &&
          (m.textContent ?? '').split('Approved by @U0INBOX0001').length === 3
        );
      },
      { timeout: 10_000 },
      label,
    );
    expect(await gateCheck()).toBe(200);
    await page.close();
  }, 60_000);

  it('rejects a waiting canary from the Teams bot look-alike’s card, its reason typed in the card, through the real signed path', async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1600, height: 1000 });
    await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
    const gateCheck = async () =>
      (
        await fetch(`${base}/gate/check`, {
          method: 'POST',
          body: JSON.stringify({ name: 'reject', namespace: 'web', phase: 'Waiting', metadata: {} }),
        })
      ).status;
    await waitingCanary('reject');
    // The card of this canary, drawn by Microsoft's renderer, with its reason field and buttons.
    const card = '.col[data-provider="teams-bot"] .msg';
    await page.waitForFunction(
      (sel) =>
        [...document.querySelectorAll(sel)].some(
          (m) => m.textContent?.includes('reject.web · Waiting') && m.querySelector('input'),
        ),
      { timeout: 20_000 },
      card,
    );
    const box = await page.evaluateHandle(
      (sel) =>
        [...document.querySelectorAll(sel)].find(
          (m) => m.textContent?.includes('reject.web · Waiting') && m.querySelector('input'),
        ),
      card,
    );
    const input = await (
      box as unknown as { $(s: string): Promise<{ type(t: string): Promise<void> } | null> }
    ).$('input');
    await input?.type('error budget spent');
    await page.evaluate((m) => {
      const b = [...(m as Element).querySelectorAll('button')].find(
        (x) => x.textContent?.trim() === 'Reject',
      );
      (b as HTMLButtonElement).click();
    }, box);
    // Teams redraws the card with the bot's answer: who rejected and why, no buttons left.
    await page.waitForFunction(
      (m) =>
        (m as Element).textContent?.includes('❌ Rejected by you: error budget spent') &&
        // The gate's buttons are gone; the rollout page's stays.
        ![...(m as Element).querySelectorAll('button')].some((b) =>
          /Approve|Reject|Roll back/.test(b.textContent ?? ''),
        ) &&
        [...(m as Element).querySelectorAll('button')].some((b) =>
          b.textContent?.includes('Rollout details'),
        ),
      { timeout: 10_000 },
      box,
    );
    expect(await gateCheck()).toBe(403);
    await page.close();
  }, 60_000);
});
