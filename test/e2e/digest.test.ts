// The fleet page and digests end to end through npm start (the "done when"): a failed and
// a promoted rollout, then `flagger-notify digest --now` posts one message saying so, and
// `flagger-notify link fleet` prints a link whose page lists both canaries with their outcomes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../lib/ops/cli';
import { fixtureLines } from '../helpers/fixtures';
import { pipeline, postAll, receiver, until } from '../helpers/pipeline';
import { answer } from '../helpers/receiver';

/** The sample rollouts of `names`, their timestamps moved so the last one was a minute ago. */
function recent(names: string[]): string[] {
  const lines = fixtureLines.filter((l) => names.some((n) => l.includes(`"name": "${n}"`)));
  const times = lines.map((l) => Number(JSON.parse(l).metadata.timestamp));
  const shift = Date.now() - 60_000 - Math.max(...times);
  return lines.map((l) => {
    const e = JSON.parse(l);
    e.metadata.timestamp = String(Number(e.metadata.timestamp) + shift);
    return JSON.stringify(e);
  });
}

const cli = async (argv: string[], env: Record<string, string>) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env });
  return { code, out, err };
};

describe('local pipeline end to end: the fleet page and digests', () => {
  it('digest --now posts one message for a failed and a promoted rollout; link fleet opens a page with both', async () => {
    const rx = await receiver(answer(200, 'ok'));
    const dir = mkdtempSync(join(tmpdir(), 'digest-'));
    const file = join(dir, 'routing.yaml');
    writeFileSync(
      file,
      `destinations:
  ops:
    type: slack
    url: "${rx.url('/slack')}"
    digest: { every: day }
`,
    );
    const p = await pipeline({ CONFIG_FILE: file, SLACK_WEBHOOK_URL: '', TEAMS_WEBHOOK_URL: '', EVENTS: '' });
    await postAll(p.url, recent(['podinfo', 'checkout']));
    const milestones = () => rx.received.filter((r) => r.path === '/slack').length;
    // Both outcomes delivered (milestones: the starts, a halt each, the rollback, the promotion).
    expect(
      await until(
        () =>
          rx.received.some((r) => JSON.stringify(r.json).includes('Rolling back checkout.shop')) &&
          rx.received.some((r) => JSON.stringify(r.json).includes('Promotion completed!')),
      ),
    ).toBe(true);
    const before = milestones();
    const env = { LOCAL_STACK_DIR: p.dir };

    const digest = await cli(['digest', '--now'], env);
    expect(digest.err).toEqual([]);
    expect(digest.code).toBe(0);
    expect(digest.out).toEqual([
      'sent: digest (destination ops) to ops: Daily digest (so far) · 2 rollouts: 1 promoted, 1 failed',
    ]);
    expect(await until(() => milestones() === before + 1)).toBe(true);
    const sent = JSON.stringify(rx.received.at(-1)?.json);
    expect(sent).toContain('2 rollouts: 1 promoted, 1 failed');
    expect(sent).toContain('Change failure rate*\\n50%');
    expect(sent).toContain('checkout.shop: 1 of 1 rollout failed');
    expect(sent).toContain('Fleet page');

    const link = await cli(['link', 'fleet'], env);
    expect(link.code).toBe(0);
    const url = link.out[0] as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fleet\?exp=\d+&sig=[\w-]{43}&k=[\w-]{8}$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    const html = await page.text();
    const row = (canary: string) =>
      html.split('<tr').find((r) => r.includes(`data-canary="${canary}"`)) ?? '';
    expect(row('shop/checkout')).toContain('<span class="status-failed">failed</span>');
    expect(row('test/podinfo')).toContain('<span class="status-promoted">promoted</span>');
    // Failing now first.
    expect(html.indexOf('data-canary="shop/checkout"')).toBeLessThan(
      html.indexOf('data-canary="test/podinfo"'),
    );
    // Each row opens its rollout's page.
    const rollout = /href="(\/rollouts\/shop\/checkout\/\d+\?[^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    expect((await fetch(`${url.split('/fleet')[0]}${rollout}`)).status).toBe(200);
    // Without the signature, or with another: refused, and no canary named.
    const bare = await fetch(url.split('?')[0] as string);
    expect(bare.status).toBe(403);
    expect(await bare.text()).not.toContain('checkout');
    expect((await fetch(url.replace(/sig=[\w-]{4}/, 'sig=AAAA'))).status).toBe(403);
  }, 90_000);
});

describe('local pipeline end to end: quiet hours', () => {
  it('holds a rollout’s progress while quiet, sends its failure at once, and its page says until when', async () => {
    const rx = await receiver(answer(200, 'ok'));
    const dir = mkdtempSync(join(tmpdir(), 'quiet-'));
    const file = join(dir, 'routing.yaml');
    // Quiet all day, every day: whatever the clock says while the test runs.
    writeFileSync(
      file,
      `destinations:
  ops: { type: slack, url: "${rx.url('/slack')}", events: all }
routes:
  - name: night
    quiet: { from: "00:00", to: "24:00", tz: Europe/Berlin }
    to: [ops]
`,
    );
    const p = await pipeline({ CONFIG_FILE: file, SLACK_WEBHOOK_URL: '', TEAMS_WEBHOOK_URL: '', EVENTS: '' });
    await postAll(p.url, recent(['checkout']));
    expect(
      await until(() => rx.received.some((r) => JSON.stringify(r.json).includes('Canary failed!'))),
    ).toBe(true);
    const sent = rx.received.map((r) => JSON.stringify(r.json));
    // Only the failure and its rollback went out; the start, the analysis and the halts wait.
    expect(sent.every((s) => /Rolling back checkout|Canary failed!/.test(s))).toBe(true);
    expect(sent).toHaveLength(2);
    const link = /https?:\/\/127\.0\.0\.1:\d+\/rollouts\/shop\/checkout\/[^"\\\s|>)]+/.exec(
      sent.join(''),
    )?.[0];
    const page = await (await fetch(link as string)).text();
    expect(page).toContain('<span class="s-held">held</span>');
    expect(page).toMatch(/held until 00:00 Europe\/Berlin \(quiet hours; then one summary\)/);
  }, 60_000);
});
