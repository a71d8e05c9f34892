import { describe, expect, it } from 'vitest';
import type { FlaggerEvent } from '../../lib/event/event';
import { envDestination } from '../../lib/providers/destination';
import { defaultTeamsFormat, formatTeams, teams } from '../../lib/providers/teams';
import { base, byMessage, fixtureName, fixtures } from '../helpers/fixtures';
import { expectGolden } from '../helpers/golden';
import { adaptiveCardProblems } from '../helpers/limits';

type Fact = { title: string; value: string };
type Card = {
  version: string;
  body: { type: string; style?: string; text?: string; items?: { text: string }[]; facts?: Fact[] }[];
  actions?: { type: string; url: string }[];
};
const cardOf = (p: unknown) => (p as { attachments: { content: Card }[] }).attachments[0]?.content as Card;
const factsOf = (p: unknown) => cardOf(p).body.find((b) => b.type === 'FactSet')?.facts ?? [];

describe('Teams message', () => {
  it.each(fixtures.map((e, i) => [fixtureName(e, i), e] as const))(
    'matches the golden card for %s, valid per Microsoft’s parser',
    (name, e) => {
      const p = formatTeams(e);
      expectGolden(`teams/${name}`, p);
      expect(adaptiveCardProblems(cardOf(p))).toEqual([]);
    },
  );

  it.each(['New revision detected!', 'Canary failed!', 'Promotion completed!'])(
    'matches the golden legacy MessageCard for "%s"',
    (start) => {
      const e = byMessage(start);
      expectGolden(
        `teams-messagecard/${fixtureName(e, fixtures.indexOf(e))}`,
        formatTeams(e, { format: 'messagecard' }),
      );
    },
  );

  it('wraps an Adaptive Card 1.4 in the Workflows envelope, full width', () => {
    expect(formatTeams(base)).toMatchObject({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            msteams: { width: 'Full' },
          },
        },
      ],
    });
  });

  it.each([
    ['Promotion completed!', 'good'],
    ['Canary failed!', 'attention'],
    ['Halt checkout.shop advancement success rate', 'warning'],
    ['Halt frontend.web advancement waiting for approval', 'warning'],
    ['Advance podinfo.test canary weight 20', 'emphasis'],
  ])('colours the header of "%s" %s', (start, style) => {
    const header = cardOf(formatTeams(byMessage(start))).body[0];
    expect(header?.style).toBe(style);
  });

  it('shows canary, namespace, state, event, progress, details and sorted extra metadata as facts, and the time in the reader’s zone', () => {
    const e = fixtures.find((x) => x.metadata.cluster) as FlaggerEvent;
    const card = cardOf(formatTeams(e));
    expect(card.body[0]?.items?.[0]?.text).toBe('⏩ prod-eu-1 · api.team-a · Progressing');
    expect(card.body[1]?.text).toBe('Advance api.team-a canary weight 5');
    expect(factsOf(formatTeams(e)).map((f) => f.title)).toEqual([
      'Canary',
      'Namespace',
      'State',
      'Event',
      'Progress',
      'cluster',
      'runbook',
      'team',
    ]);
    expect(factsOf(formatTeams(e))[4]?.value).toBe('█░░░░░░░░░ canary weight 5%');
    // DATE()/TIME(): Teams draws them in each reader's zone; strict RFC 3339, no milliseconds.
    const iso = new Date(Number(e.metadata.timestamp)).toISOString().replace(/\.\d{3}Z$/, 'Z');
    expect(card.body.at(-1)).toMatchObject({
      type: 'TextBlock',
      text: `{{DATE(${iso}, SHORT)}} {{TIME(${iso})}}`,
      isSubtle: true,
    });
  });

  it('adds an Action.OpenUrl for DASHBOARD_URL', () => {
    const p = formatTeams(base, { dashboardUrl: 'https://grafana.example/d/x?ns={namespace}&app={name}' });
    expect(cardOf(p).actions).toEqual([
      {
        type: 'Action.OpenUrl',
        title: 'Open dashboard',
        url: 'https://grafana.example/d/x?ns=test&app=podinfo',
      },
    ]);
    expect(adaptiveCardProblems(cardOf(p))).toEqual([]);
  });

  it.each([
    ['https://contoso.webhook.office.com/webhookb2/abc/IncomingWebhook/def', 'messagecard'],
    ['https://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke', 'adaptive'],
    [
      'https://default.environment.api.powerplatform.com/powerautomate/automations/direct/workflows/x',
      'adaptive',
    ],
    ['not a url', 'adaptive'],
  ])('picks the format for %s: %s', (url, format) => {
    expect(defaultTeamsFormat(url)).toBe(format);
  });

  it('lets TEAMS_FORMAT override the URL-based choice, and rejects unknown formats', () => {
    const legacy = 'https://contoso.webhook.office.com/webhookb2/abc';
    expect(formatTeams(base, { url: legacy, format: 'adaptive' })).toMatchObject({ type: 'message' });
    expect(formatTeams(base, { url: legacy })).toMatchObject({ '@type': 'MessageCard' });
    const d = envDestination(teams, { TEAMS_WEBHOOK_URL: legacy, TEAMS_FORMAT: 'html' });
    expect(() => teams.create(d, { deployed: false, extraAllowedHosts: [] })).toThrow(
      'TEAMS_FORMAT: must be adaptive or messagecard',
    );
  });

  it('keeps a markdown link from the event from becoming a disguised link', () => {
    const e: FlaggerEvent = {
      ...base,
      metadata: {
        ...base.metadata,
        eventMessage: 'see [x](https://evil) and [y] (https://evil)',
        team: '[t](https://evil)',
      },
    };
    for (const format of ['adaptive', 'messagecard'] as const) {
      const text = JSON.stringify(formatTeams(e, { format }));
      expect(text).not.toMatch(/\]\s*\(/);
      expect(text).toContain('[x]\\u200b(https://evil)'.replace('\\u200b', '\u200b'));
    }
  });

  it('shows Slack-style mentions and entities from the event as the literal text they are', () => {
    const hostile = '<!channel> <@U123> <https://evil|x> [x](https://evil) &amp;';
    const e: FlaggerEvent = { ...base, metadata: { ...base.metadata, eventMessage: hostile } };
    const card = cardOf(formatTeams(e));
    expect(card.body[1]?.text).toBe('<!channel> <@U123> <https://evil|x> [x]\u200b(https://evil) &amp;');
    expect(adaptiveCardProblems(card)).toEqual([]);
  });

  it('keeps a card with a 20,000-character message and 40 extra keys under 28 KB and valid', () => {
    const extra = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`key${String(i).padStart(2, '0')}`, 'v'.repeat(1000)]),
    );
    const e: FlaggerEvent = {
      ...base,
      metadata: { ...base.metadata, ...extra, eventMessage: 'm'.repeat(20_000) },
    };
    for (const format of ['adaptive', 'messagecard'] as const) {
      expect(Buffer.byteLength(JSON.stringify(formatTeams(e, { format })))).toBeLessThan(28_000);
    }
    const payload = formatTeams(e);
    expect(adaptiveCardProblems(cardOf(payload))).toEqual([]);
    expect(factsOf(payload).at(-1)).toEqual({ title: '…', value: '21 more metadata keys' });
  });
});
