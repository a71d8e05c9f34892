// npm start's command end to end: a failed rollout's Slack, Teams and Discord messages link to its
// page, and the page shows every event and what each destination got, a dead letter included.
import { describe, expect, it } from 'vitest';
import { fixtureLines } from '../helpers/fixtures';
import { pipeline, postAll, receiver, until } from '../helpers/pipeline';
import { answer } from '../helpers/receiver';

describe('local pipeline end to end: the rollout page behind every message', () => {
  it('links Slack, Teams and Discord messages of a failed rollout to one page with every event and result', async () => {
    const rx = await receiver((req, res) => {
      if (req.path.startsWith('/generic')) return answer(404, 'no such hook')(req, res, 0);
      if (req.path.startsWith('/discord')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ id: String(Date.now()) }));
      }
      res.writeHead(req.path.startsWith('/teams') ? 202 : 200);
      res.end('ok');
    });
    const p = await pipeline({
      SLACK_WEBHOOK_URL: rx.url('/slack/SECRET'),
      TEAMS_WEBHOOK_URL: rx.url('/teams/SECRET'),
      DISCORD_WEBHOOK_URL: rx.url('/discord/SECRET'),
      WEBHOOK_URL: rx.url('/generic/SECRET'),
      EVENTS: '',
      LINK_SECRET: 'e2e-link-secret-0123456789abcdef01234',
    });
    const checkout = fixtureLines.filter((l) => l.includes('"checkout"'));
    await postAll(p.url, checkout);
    const at = (prefix: string) => rx.received.filter((r) => r.path.startsWith(prefix));
    const deadline = Date.now() + 30_000;
    while (
      Date.now() < deadline &&
      !(at('/slack/').length >= 3 && at('/teams/').length >= 3 && at('/generic/').length >= 3)
    )
      await new Promise((r) => setTimeout(r, 100));

    const linkOf = (body: string) =>
      body.match(/http:\/\/127\.0\.0\.1:\d+\/rollouts\/shop\/checkout\/\d+\?exp=\d+&sig=[\w-]+/)?.[0];
    const last = (prefix: string) => at(prefix).at(-1)?.body ?? '';
    const links = ['/slack/', '/teams/', '/discord/'].map((p) => linkOf(last(p)));
    for (const l of links) expect(l).toBeDefined();
    // One rollout, one page, whoever links to it.
    expect(new Set(links.map((l) => new URL(l as string).pathname)).size).toBe(1);
    expect(JSON.parse(last('/teams/')).attachments[0].content.actions[0]).toMatchObject({
      type: 'Action.OpenUrl',
      title: 'Rollout details',
    });

    // The last results are recorded after the POSTs: read the page once it has them and is settled.
    let html = '';
    const settled = async () => {
      const before = html;
      const page = await fetch(links[0] as string);
      expect(page.status).toBe(200);
      html = await page.text();
      return html === before && html.includes('answered 404') && !html.includes('class="s-retrying"');
    };
    expect(await until(settled, 30_000, 200)).toBe(true);
    for (const l of checkout)
      expect(html).toContain(JSON.parse(l).metadata.eventMessage.replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    for (const d of ['slack', 'teams', 'discord', 'webhook']) expect(html).toContain(`<h3>${d} `);
    expect(html).toContain('dead-lettered');
    expect(html).toContain('answered 404');
    expect(html).not.toContain('SECRET');
    // A GET never changes anything: the page twice is the same page.
    expect(await (await fetch(links[0] as string)).text()).toBe(html);
  }, 60_000);
});
