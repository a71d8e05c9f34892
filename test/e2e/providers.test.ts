// npm start's command end to end with every provider: isolation, rollouts, long messages.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureLines } from '../helpers/fixtures';
import {
  attachmentLimitViolations,
  discordLimitViolations,
  googleChatLimitViolations,
  slackLimitViolations,
} from '../helpers/limits';
import { pipeline, postAll, receiver, slackApiOf } from '../helpers/pipeline';
import { answer } from '../helpers/receiver';

describe('local pipeline end to end: every provider and destination isolation', () => {
  const podinfo = fixtureLines.filter((l) => l.includes('"podinfo"'));
  const waitFor = async (done: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  };

  it('delivers the sample rollout to each new provider set by its zero-config variable', async () => {
    const rx = await receiver((req, res) => {
      // Each answers as its platform does (Discord with wait=true, Rocket.Chat with success).
      if (req.path.startsWith('/discord') || req.path.startsWith('/googlechat')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id":"1","name":"spaces/x/messages/1"}');
      } else if (req.path.startsWith('/rocketchat')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"success":true}');
      } else {
        res.writeHead(200);
        res.end('ok');
      }
    });
    const p = await pipeline({
      SLACK_WEBHOOK_URL: '',
      TEAMS_WEBHOOK_URL: '',
      DISCORD_WEBHOOK_URL: rx.url('/discord/api/webhooks/1/SECRET'),
      GOOGLE_CHAT_WEBHOOK_URL: rx.url('/googlechat/v1/spaces/A/messages?key=k&token=SECRET'),
      ROCKETCHAT_WEBHOOK_URL: rx.url('/rocketchat/hooks/id/SECRET'),
      MATTERMOST_WEBHOOK_URL: rx.url('/mattermost/hooks/SECRET'),
      WEBHOOK_URL: rx.url('/webhook/in'),
      WEBHOOK_SECRET: 'e2e-signing-secret-0123',
    });
    await postAll(p.url, podinfo);
    const providers = ['discord', 'googlechat', 'rocketchat', 'mattermost', 'webhook'];
    await waitFor(() => rx.received.length >= podinfo.length * providers.length, 30_000);
    for (const id of providers) {
      const got = rx.received.filter((r) => r.path.startsWith(`/${id}/`));
      expect(got, id).toHaveLength(podinfo.length);
    }
    // In order per provider: the generic webhook carries the event itself.
    const sent = podinfo.map((l) => JSON.parse(l).metadata.timestamp);
    const order = rx.received
      .filter((r) => r.path.startsWith('/webhook/'))
      .map((r) => (r.json as { event: { metadata: { timestamp: string } } }).event.metadata.timestamp);
    expect(order).toEqual(sent);
    expect(p.output()).not.toContain('SECRET');
  }, 60_000);

  it('keeps delivering to one destination in order while another of the same type answers 500', async () => {
    const good = await receiver(answer(200, 'ok'));
    const bad = await receiver(answer(500, 'rollup_error'));
    const dir = mkdtempSync(join(tmpdir(), 'isolation-'));
    const file = join(dir, 'routing.yaml');
    writeFileSync(
      file,
      `destinations:
  healthy: { type: slack, url: "${good.url('/healthy')}" }
  broken: { type: slack, url: "${bad.url('/broken')}" }
`,
    );
    const p = await pipeline({ CONFIG_FILE: file, SLACK_WEBHOOK_URL: '', TEAMS_WEBHOOK_URL: '' });
    const t0 = Date.now();
    await postAll(p.url, podinfo);
    await waitFor(() => good.received.length >= podinfo.length, 15_000);
    const ms = Date.now() - t0;
    const messages = good.received.map((r) => (r.json as { text: string }).text);
    expect(messages).toHaveLength(podinfo.length);
    // Each sample message appears in its fallback line, in the order sent.
    podinfo.forEach((l, i) => {
      const m = JSON.parse(l).metadata.eventMessage.slice(0, 40).replace(/&/g, '&amp;').replace(/</g, '&lt;');
      expect(messages[i]).toContain(m);
    });
    expect(bad.received.length).toBeGreaterThan(0);
    console.log(
      `isolation: ${podinfo.length} events to the healthy destination in ${ms} ms while the other answered 500`,
    );
    expect(ms).toBeLessThan(15_000);
  }, 60_000);
});

describe('local pipeline end to end: rollouts, not events', () => {
  it('keeps one live Slack message per rollout and sends a webhook only the milestones', async () => {
    const slackApi = await slackApiOf();
    const hook = await receiver(answer(200, 'ok'));
    const p = await pipeline({
      SLACK_WEBHOOK_URL: '',
      TEAMS_WEBHOOK_URL: '',
      SLACK_BOT_TOKEN: 'xoxb-e2e-SECRET-token',
      SLACK_CHANNEL_ID: 'C0LOCAL0001',
      SLACK_API_URL: slackApi.url,
      MATTERMOST_WEBHOOK_URL: hook.url('/hooks/SECRET'),
      EVENTS: '', // the default: milestones
    });
    const rollouts = ['"podinfo"', '"checkout"'].map((n) => fixtureLines.filter((l) => l.includes(n)));
    for (const l of rollouts.flat()) {
      const res = await fetch(p.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: l,
      });
      expect(res.status).toBe(202);
    }
    const deadline = Date.now() + 20_000;
    const settled = () =>
      slackApi.api.messages.length === 2 &&
      slackApi.api.messages.every((m) => /Promoted|Failed/.test(JSON.stringify(m.attachments))) &&
      // The redraw goes before an event's replies: the outcome's reply may follow the final redraw.
      slackApi.api.messages.reduce((n, m) => n + m.replies.length, 0) >= 5 &&
      hook.received.length >= 6;
    while (!settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(
      slackApi.api.messages.map((m) => JSON.stringify(m.attachments).match(/· (Promoted|Failed)/)?.[1]),
    ).toEqual(['Promoted', 'Failed']);
    expect(slackApi.api.messages.map((m) => m.replies.length)).toEqual([2, 3]);
    // podinfo: start, first failed check, promotion; checkout: start, first failed check, failure.
    expect(hook.received).toHaveLength(6);
    expect(p.output()).not.toContain('SECRET');
  }, 60_000);
});

describe('local pipeline end to end: long messages and any character', () => {
  it('accepts and delivers 9,000-, 20,000- and 200,000-character messages and emoji/U+FFFF to every provider, within limits', async () => {
    const rx = await receiver((req, res) => {
      const json =
        req.path.startsWith('/discord') ||
        req.path.startsWith('/googlechat') ||
        req.path.startsWith('/rocketchat');
      res.writeHead(
        req.path.startsWith('/teams') ? 202 : 200,
        json ? { 'content-type': 'application/json' } : {},
      );
      res.end(json ? '{"id":"1","success":true}' : 'ok');
    });
    const urls = {
      SLACK_WEBHOOK_URL: rx.url('/slack/x'),
      TEAMS_WEBHOOK_URL: rx.url('/teams/x'),
      DISCORD_WEBHOOK_URL: rx.url('/discord/x'),
      GOOGLE_CHAT_WEBHOOK_URL: rx.url('/googlechat/x?key=k&token=t'),
      ROCKETCHAT_WEBHOOK_URL: rx.url('/rocketchat/x'),
      MATTERMOST_WEBHOOK_URL: rx.url('/mattermost/x'),
      WEBHOOK_URL: rx.url('/webhook/x'),
    };
    const p = await pipeline(urls);
    const base = JSON.parse(fixtureLines[0] as string);
    const bodies = [9_000, 20_000, 200_000, 0].map((n, i) => {
      const e = structuredClone(base);
      e.metadata.timestamp = String(Number(e.metadata.timestamp) + i);
      e.metadata.eventMessage = n
        ? `Halt podinfo.test advancement ${'y'.repeat(n)}`
        : 'Halt podinfo.test payments 💳 \uffff done';
      if (!n) e.metadata.team = 'payments 💳';
      return JSON.stringify(e);
    });
    await postAll(p.url, bodies);
    const providers = ['slack', 'teams', 'discord', 'googlechat', 'rocketchat', 'mattermost', 'webhook'];
    const deadline = Date.now() + 30_000;
    while (rx.received.length < bodies.length * providers.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    for (const id of providers)
      expect(
        rx.received.filter((r) => r.path.startsWith(`/${id}/`)),
        id,
      ).toHaveLength(bodies.length);
    const got = (id: string) => rx.received.filter((r) => r.path.startsWith(`/${id}/`)).map((r) => r.json);
    for (const s of got('slack')) expect(slackLimitViolations(s as never)).toEqual([]);
    for (const d of got('discord')) expect(discordLimitViolations(d as never)).toEqual([]);
    for (const g of got('googlechat')) expect(googleChatLimitViolations(g as never)).toEqual([]);
    for (const a of [...got('rocketchat'), ...got('mattermost')])
      expect(attachmentLimitViolations(a as never)).toEqual([]);
    // Delivered as itself: the generic webhook carries the event, emoji and U+FFFF included.
    const last = got('webhook').at(-1) as { event: { metadata: Record<string, string> } };
    expect(last.event.metadata.eventMessage).toBe('Halt podinfo.test payments 💳 \uffff done');
    expect(last.event.metadata.team).toBe('payments 💳');
    const big = await fetch(p.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: ' '.repeat(2 * 1024 * 1024),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toContain('limit');
  }, 60_000);
});
