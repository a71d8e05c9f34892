// The README's mention table, row by row: what a hostile event message (Flagger copies a failing
// webhook's answer into it) can and cannot do on each platform.
import { describe, expect, it } from 'vitest';
import type { FlaggerEvent } from '../../lib/event/event';
import { providerById } from '../../lib/providers/catalog';

const HOSTILE = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '@channel',
  '@here',
  '@all',
  '@everyone',
  '<@U0123ABCD>',
  '<#C0123ABCD>',
  '<https://evil.example/a|Rollout details>',
  '[Rollout details](https://evil.example/b)',
  '<users/all>',
  '<at>ana</at>',
].join(' ');
const event = (phase: string, message: string): FlaggerEvent => ({
  name: 'checkout',
  namespace: 'shop',
  phase,
  metadata: {
    eventMessage: message,
    eventType: 'Warning',
    timestamp: '1764115200000',
    team: HOSTILE,
  },
});
// A failing webhook's answer, in a failure (sent everywhere) and in a halt (a check).
const events = [
  event('Failed', `Canary failed! ${HOSTILE}`),
  event('Progressing', `Halt checkout.shop advancement pre-rollout check failed: ${HOSTILE}`),
];
const payload = (id: string, e: FlaggerEvent) =>
  JSON.stringify(providerById(id)?.preview(e, 'https://grafana.example/d/x'));

/** A platform's live forms of a mention or link; none may come out of event data. */
const SLACK_LIVE = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<@U0123ABCD>',
  '<#C0123ABCD>',
  '<https://evil.example',
];
const MARKDOWN_LINK = /\]\s*\(https:\/\/evil/;

describe('a hostile message renders inert', () => {
  it.each(['slack', 'slack-app'])(
    '%s: <, > and & escaped, so no <!channel>, <@user> or <url|text> forms',
    (id) => {
      for (const e of events) {
        const p = payload(id, e);
        for (const live of SLACK_LIVE) expect(p).not.toContain(live);
        expect(p).toContain('&lt;!channel&gt;');
      }
    },
  );

  it.each(['mattermost', 'rocketchat'])(
    '%s: no @channel/@here/@all, no Slack-compatible <!channel> or <url|text>, no [text](url)',
    (id) => {
      for (const e of events) {
        const p = payload(id, e);
        expect(p).not.toMatch(/(^|[^\w])@(all|channel|here|everyone)\b/);
        for (const live of ['<!channel>', '<!here>', '<!everyone>', '<@U0123ABCD>', '<#C0123ABCD>'])
          expect(p).not.toContain(live);
        // Nothing Mattermost's Slack-compatibility would read as a link: `<…|…>`.
        expect(p).not.toMatch(/<[^<>\\]*\|[^<>]*>/);
        expect(p).not.toMatch(MARKDOWN_LINK);
        // The text arrived, inert (a formatter that dropped it would pass the lines above).
        expect(p).toMatch(/evil\.example\/a/);
        expect(p).toMatch(/@\u200b(channel|here)|@\\u200b(channel|here)/);
      }
    },
  );

  it('webex: no <@all> or <@personEmail:…> mention, no [text](url) link from the event', () => {
    for (const e of events) {
      const p = JSON.parse(payload('webex', e)) as { markdown: string; text: string };
      expect(p.markdown).not.toMatch(/<@/);
      expect(p.markdown).not.toMatch(MARKDOWN_LINK);
      // The event's text is there, inert: not dropped to pass the lines above.
      expect(p.text.length).toBeGreaterThan(0);
      expect(p.markdown).toContain(e.name);
      // The only links are our own: the rollout page and the dashboard.
      const links = [...p.markdown.matchAll(/\]\((https?:[^)]*)\)/g)].map((m) => m[1]);
      expect(links.every((l) => l?.startsWith('https://grafana.example/'))).toBe(true);
    }
  });

  it('telegram: HTML escaped (no <a> from the event), no @username mention', () => {
    for (const e of events) {
      const p = JSON.parse(payload('telegram', e)) as { text: string; parse_mode: string };
      expect(p.parse_mode).toBe('HTML');
      expect(p.text).not.toMatch(/<a href="https:\/\/evil/);
      expect(p.text).not.toMatch(/(^|[^\w])@(all|channel|here|everyone)\b/);
      expect(p.text).toContain('&lt;!channel&gt;');
    }
  });

  it('discord: mentions parsed from nothing (allowed_mentions), no [text](url) masked link', () => {
    for (const e of events) {
      const p = JSON.parse(payload('discord', e));
      expect(p.allowed_mentions).toEqual({ parse: [] });
      expect(JSON.stringify(p)).not.toMatch(MARKDOWN_LINK);
      // The text arrived (allowed_mentions, not removal, keeps @everyone inert).
      expect(JSON.stringify(p)).toContain('@everyone');
    }
  });

  it('teams: no [text](url) link; <at> without msteams.entities mentions nobody', () => {
    for (const e of events) {
      const p = payload('teams', e);
      expect(p).not.toMatch(MARKDOWN_LINK);
      expect(p).not.toContain('"entities"');
      expect(p).toMatch(/&lt;at&gt;ana|<at>ana|ana<\/at>|at&gt;ana/);
    }
  });

  it('googlechat: no <users/all> and no markup from the event', () => {
    for (const e of events) {
      const p = payload('googlechat', e);
      expect(p).not.toContain('<users/all>');
      expect(p).not.toContain('<https://evil');
      expect(p).not.toContain('<at>');
      // The text arrived, as text.
      expect(p).toMatch(/users\/all/);
    }
  });

  it('grafana: the region text is plain text (Grafana shows it as typed), no markup from the event', () => {
    const p = JSON.parse(payload('grafana', events[0] as FlaggerEvent)) as { text: string; tags: string[] };
    expect(p.text).toContain('<!channel>');
    expect(p.tags).not.toContain(HOSTILE);
  });

  it('pagerduty carries the text as data in its incident (PagerDuty shows it as text)', () => {
    const p = payload('pagerduty', events[0] as FlaggerEvent);
    expect(p).toContain('Canary checkout.shop failed');
    expect(JSON.parse(p).links ?? []).toEqual([]);
  });

  it('webhook and alertmanager carry the text as data, for the receiver to escape', () => {
    for (const id of ['webhook', 'alertmanager']) {
      expect(payload(id, events[0] as FlaggerEvent)).toContain(
        JSON.stringify(HOSTILE).slice(1, -1).slice(0, 20),
      );
    }
  });
});
