// Digests and quiet-hours summaries on every provider that takes them: through each sender's own
// report path (its real HTTP call, to a loopback server), with a golden file per provider and kind.
// The sample carries hostile metadata (a team named to ping a channel, a disguised link): each
// platform gets it as inert text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDERS } from '../../lib/providers/catalog';
import type { DestinationDef, Report } from '../../lib/providers/provider';
import { digestReport, quietReport } from '../../lib/providers/report';
import { digestStats } from '../../lib/rollouts/digest';
import { memoryRolloutStore } from '../../lib/rollouts/memory-store';
import { expectGolden } from '../helpers/golden';
import {
  adaptiveCardProblems,
  discordLimitViolations,
  googleChatLimitViolations,
  slackLimitViolations,
} from '../helpers/limits';
import { type Receiver, startReceiver } from '../helpers/receiver';

const H = 3600_000;
const T0 = Date.parse('2026-12-06T09:00:00Z');
const HOSTILE = '<!channel> @here [pay](http://evil.example)';

const rollout = (status: 'promoted' | 'failed', start: number, end: number) => ({
  startedAt: start,
  endedAt: end,
  status,
});
const stats = digestStats(
  [
    {
      entry: {
        namespace: 'shop',
        name: 'checkout',
        cluster: 'prod-eu',
        meta: { team: HOSTILE },
        startedAt: T0,
        history: [rollout('failed', T0 + H, T0 + 2 * H), rollout('promoted', T0 + 3 * H, T0 + 3.5 * H)],
      },
    },
    {
      entry: {
        namespace: 'test',
        name: 'podinfo',
        cluster: 'prod-us',
        meta: { team: 'platform' },
        startedAt: T0,
        history: [rollout('promoted', T0, T0 + 0.2 * H)],
      },
    },
  ],
  T0,
  T0 + 24 * H,
);
const LINK =
  'https://relay.example/fleet?exp=1796601600&sig=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&k=abcdefgh';
const SAMPLES: Record<string, Report> = {
  digest: digestReport(stats, { every: 'day', key: 'digest#destination-ops#ops#2026-12-07', link: LINK }),
  quiet: quietReport(
    [
      {
        id: 'a',
        canary: 'prod-eu · checkout.shop',
        kind: 'progress',
        message: `Advance checkout.shop canary weight 10 ${HOSTILE}`,
        at: T0,
      },
      {
        id: 'b',
        canary: 'prod-eu · checkout.shop',
        kind: 'succeeded',
        message: 'Promotion completed! Scaling down checkout.shop',
        at: T0 + H,
      },
      {
        id: 'c',
        canary: 'podinfo.test',
        kind: 'started',
        message: 'New revision detected! Scaling up podinfo.test',
        at: T0,
      },
    ],
    { from: T0, until: T0 + 9 * H, when: '07:00 Europe/Berlin', key: 'quiet#ops#1', link: LINK },
  ),
};

let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    // Each platform's "accepted": a token for the Teams bot's token request, else one answer fits all.
    res.end(
      req.path.includes('/token')
        ? JSON.stringify({ access_token: 'tok', expires_in: 3600, token_type: 'Bearer' })
        : JSON.stringify({ ok: true, success: true, id: 'a1', result: { message_id: 1 } }),
    );
  });
});
afterAll(async () => rx?.close());

const OPTIONS: Record<string, () => Record<string, string>> = {
  'slack-app': () => ({ token: 'xoxb-1-2-3', channel: 'C0123456', apiUrl: rx.url('/slack/api') }),
  'teams-bot': () => ({
    appId: '00000000-0000-4000-8000-000000000001',
    password: 'app-password',
    serviceUrl: rx.url('/teams-bot'),
    conversation: '19:abc@thread.tacv2',
    tokenUrl: rx.url('/token'),
  }),
  telegram: () => ({
    token: `123456:${'A'.repeat(35)}`,
    chat: '-1001234567890',
    apiUrl: rx.url('/telegram'),
  }),
  webex: () => ({
    token: 'w'.repeat(40),
    room: 'Y2lzY29zcGFyazovL3VzL1JPT00vcmVwb3J0cw',
    apiUrl: rx.url('/webex'),
  }),
  webhook: () => ({ url: rx.url('/webhook'), secret: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=' }),
};

const reporting = PROVIDERS.filter((p) => p.reports);

describe('reports: digests and quiet-hours summaries', () => {
  it('every chat and webhook provider takes them; Alertmanager, PagerDuty and Grafana do not', () => {
    expect(PROVIDERS.filter((p) => !p.reports).map((p) => p.id)).toEqual([
      'alertmanager',
      'pagerduty',
      'grafana',
    ]);
  });

  it('Teams through an old Office 365 connector gets the digest as a MessageCard (golden)', async () => {
    const { teams } = await import('../../lib/providers/teams');
    const sender = teams.create(
      {
        name: 'ops',
        type: 'teams',
        options: { url: rx.url('/teams-legacy'), format: 'messagecard' },
        field: (k) => k,
      },
      { deployed: false, extraAllowedHosts: [] },
    );
    await sender.report?.(SAMPLES.digest as Report, { timeoutMs: 2000 });
    const sent = rx.received.filter((r) => r.path === '/teams-legacy');
    expect(sent).toHaveLength(1);
    expectGolden('reports/teams-messagecard-digest', sent[0]?.json);
    expect(sent[0]?.body).not.toContain('](http://evil');
  });

  describe.each(reporting.map((p) => [p.id, p] as const))('%s', (id, provider) => {
    it.each(Object.keys(SAMPLES))('posts the %s as one new message (golden)', async (kind) => {
      const def: DestinationDef = {
        name: 'ops',
        type: id,
        options: OPTIONS[id]?.() ?? { url: rx.url(`/${id}`) },
        events: provider.modes[0],
        field: (k) => `routing.yaml: destinations.ops.${k}`,
      };
      const sender = provider.create(def, {
        deployed: false,
        extraAllowedHosts: [],
        store: memoryRolloutStore(),
      });
      const before = rx.received.length;
      await sender.report?.(SAMPLES[kind] as Report, { timeoutMs: 2000 });
      const calls = rx.received.slice(before).filter((r) => !r.path.includes('/token'));
      expect(calls).toHaveLength(1);
      const sent = calls[0];
      expectGolden(`reports/${id}-${kind}`, { path: sent?.path.replace(/:\d+/, ''), body: sent?.json });
      // Within each platform's limits, as its events are (the Adaptive Card parsed by Microsoft's parser).
      const body = sent?.json as never;
      if (id === 'slack') expect(slackLimitViolations(body)).toEqual([]);
      if (id === 'discord') expect(discordLimitViolations(body)).toEqual([]);
      if (id === 'googlechat') expect(googleChatLimitViolations(body)).toEqual([]);
      if (id === 'teams' || id === 'teams-bot')
        expect(
          adaptiveCardProblems((body as { attachments: { content: unknown }[] }).attachments[0]?.content),
        ).toEqual([]);
      if (id === 'webhook') {
        // Signed like every event: Standard Webhooks and X-Signature, over the exact bytes sent.
        expect(sent?.headers['webhook-signature']).toMatch(/^v1,/);
        return;
      }
      // Event data, however hostile, is text: no link of its own where Markdown would make one,
      // no mention where the platform has them.
      if (['mattermost', 'rocketchat', 'discord', 'teams', 'teams-bot', 'webex'].includes(id))
        expect(sent?.body).not.toContain('](http://evil');
      if (['slack', 'slack-app', 'mattermost', 'rocketchat'].includes(id))
        expect(sent?.body).not.toContain('<!channel>');
      if (['mattermost', 'rocketchat', 'telegram', 'webex'].includes(id))
        expect(sent?.body).not.toMatch(/@here/);
    });
  });
});
