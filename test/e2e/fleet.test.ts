// Two clusters on one endpoint, end to end through npm start: the same canary failing in both at
// once is two live Slack messages, two rollout pages and two alerts, each with its cluster.
import { describe, expect, it } from 'vitest';
import { main as cli } from '../../lib/ops/cli';
import { fixtureLines } from '../helpers/fixtures';
import { inboxCount, pipeline, postAll, until } from '../helpers/pipeline';

const EU = 'prod-eu-token-0123456789abc';
const US = 'prod-us-token-0123456789abc';

interface Item {
  provider: string;
  kind: string;
  id: string;
  payload: unknown;
}

describe('local pipeline end to end: a fleet', () => {
  it('keeps two clusters’ checkout.shop apart: two live messages, two pages, two alerts with their cluster', async () => {
    const p = await pipeline({ INGEST_CLUSTER_TOKENS: `prod-eu=${EU},prod-us=${US}`, EVENTS: 'milestones' });
    const base = p.url.replace(/\/events$/, '');
    const checkout = fixtureLines.filter((l) => l.includes('"checkout"'));
    // Both clusters roll the same canary out at the same time, their events interleaved.
    for (const line of checkout) {
      await postAll(`${p.url}?token=${EU}`, [line]);
      await postAll(`${p.url}?token=${US}`, [line]);
    }
    const items = async () => (await (await fetch(`${base}/inbox/messages`)).json()) as Item[];
    let all: Item[] = [];
    for (let i = 0; i < 100; i++) {
      all = await items();
      const alerts = all.filter((x) => x.provider === 'alertmanager').flatMap((x) => x.payload as unknown[]);
      const slackDone = all.filter(
        (x) => x.provider === 'slack-app' && JSON.stringify(x.payload).includes('Failed'),
      );
      if (alerts.length >= 2 && slackDone.length >= 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const live = all.filter((x) => x.provider === 'slack-app' && x.kind === 'message');
    const titles = live.map((x) => JSON.stringify(x.payload).match(/(prod-(?:eu|us)) · checkout\.shop/)?.[1]);
    expect(titles.sort()).toEqual(['prod-eu', 'prod-us']);

    const alerts = all
      .filter((x) => x.provider === 'alertmanager')
      .flatMap((x) => x.payload as { labels: Record<string, string> }[])
      .filter((a) => a.labels.name === 'checkout');
    expect([...new Set(alerts.map((a) => a.labels.cluster))].sort()).toEqual(['prod-eu', 'prod-us']);

    // Each message links to its own cluster's page; both open, and show their own cluster's rollout.
    const links = [
      ...new Set(
        all
          .filter((x) => x.provider === 'slack')
          .map(
            (x) =>
              JSON.stringify(x.payload).match(
                /"(http:[^"]*\/clusters\/[^"]*\/rollouts\/shop\/checkout\/[^"]+)"/,
              )?.[1],
          )
          .filter((l): l is string => Boolean(l))
          .map((l) => l.replace(/\?.*/, '')),
      ),
    ];
    console.log('DBG', JSON.stringify(all.filter((x) => x.provider === 'slack').slice(0, 1)));
    expect(links.map((l) => new URL(l).pathname.split('/')[2]).sort()).toEqual(['prod-eu', 'prod-us']);
    const full = all
      .filter((x) => x.provider === 'slack')
      .map(
        (x) =>
          JSON.stringify(x.payload).match(
            /"(http:[^"]*\/clusters\/prod-eu\/rollouts\/shop\/checkout\/[^"]+)"/,
          )?.[1],
      )
      .find(Boolean) as string;
    const page = await fetch(full);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('shop/checkout · failed');

    // A cluster's token cannot speak for the other.
    const forged = await fetch(`${p.url}?token=${EU}&cluster=prod-us`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: checkout[0],
    });
    expect(forged.status).toBe(403);
  }, 60_000);

  it('keeps gates per cluster: approving prod-eu’s waiting frontend leaves prod-us’s closed', async () => {
    const p = await pipeline({ INGEST_CLUSTER_TOKENS: `prod-eu=${EU},prod-us=${US}` });
    const base = p.url.replace(/\/events$/, '');
    const frontend = fixtureLines.filter((l) => l.includes('"frontend"')).slice(0, 3);
    await postAll(`${p.url}?token=${EU}`, frontend);
    await postAll(`${p.url}?token=${US}`, frontend);
    // Both rollouts are known once each cluster's waiting message (with Approve) went out.
    const waiting = (c: string) => inboxCount(base, 'slack-app', 'gate-open', `\\"c\\":\\"${c}\\"`);
    expect(await until(async () => (await waiting('prod-eu')) > 0 && (await waiting('prod-us')) > 0)).toBe(
      true,
    );
    const check = async (token: string, query = '') =>
      (
        await fetch(`${base}/gate/check?token=${token}${query}`, {
          method: 'POST',
          body: JSON.stringify({ name: 'frontend', namespace: 'web' }),
        })
      ).status;
    const out: string[] = [];
    const code = await cli(['gate', 'open', 'web/frontend', '--cluster', 'prod-eu'], {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      // The operator holds prod-eu's token here; the CLI names the cluster as the webhook does.
      env: { PORT: new URL(base).port, INGEST_TOKEN: EU, USER: 'ana' },
    });
    expect([code, out.join('\n')]).toEqual([0, 'gate open prod-eu · frontend.web: 202 Gate opened']);
    expect(await check(EU)).toBe(200);
    expect(await check(US)).toBe(403);
    // prod-eu's token asking for prod-us's gate is refused, not answered.
    expect(await check(EU, '&cluster=prod-us')).toBe(403);
  }, 60_000);
});
