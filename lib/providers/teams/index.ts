import * as z from 'zod/mini';
import { canaryId, type FlaggerEvent } from '../../event/event';
import { opt } from '../destination';
import { linksOf, type Presentation, present, progressBar } from '../presentation';
import type { Report, SendContext } from '../provider';
import { neutralizeMarkdownLinks as safe, truncate } from '../text';
import { webhookProvider } from '../webhook-provider';

// Teams via Workflows renders Adaptive Cards up to 1.4 and drops cards over ~28 KB (docs/providers/teams.md):
// 8,000 + 30 facts × ~550 stays well under it whatever the event carries.
const MESSAGE_MAX = 8000;
const FACT_MAX = 500;
const EXTRA_FACTS_MAX = 20;

export type TeamsFormat = 'adaptive' | 'messagecard';
/** Its routing-file options, as its schema reads them, plus the shared dashboard link. */
export type TeamsOptions = z.infer<typeof teamsSchema> & { dashboardUrl?: string };

/** Old Office 365 connector URLs still take only the legacy MessageCard. */
export function defaultTeamsFormat(webhookUrl: string | undefined): TeamsFormat {
  try {
    const u = new URL(webhookUrl ?? '');
    return /(^|\.)webhook\.office\.com$/.test(u.hostname) && u.pathname.includes('/webhookb2/')
      ? 'messagecard'
      : 'adaptive';
  } catch {
    return 'adaptive';
  }
}

const teamsSchema = z.object({
  url: opt(z.string()),
  format: opt(z.enum(['adaptive', 'messagecard'], { error: 'must be adaptive or messagecard' })),
});

// Container styles and MessageCard theme colours per tone.
/** Adaptive Card container styles per tone (the Workflows card's and the bot's). */
export const STYLE: Record<Presentation['tone'], string> = {
  good: 'good',
  bad: 'attention',
  warn: 'warning',
  neutral: 'emphasis',
};
const THEME: Record<Presentation['tone'], string> = {
  good: '2EB886',
  bad: 'D40E0D',
  warn: 'DAA038',
  neutral: '9AA5B1',
};

function facts(event: FlaggerEvent, p: Presentation): [string, string][] {
  const extras =
    p.extras.length <= EXTRA_FACTS_MAX
      ? p.extras
      : [
          ...p.extras.slice(0, EXTRA_FACTS_MAX - 1),
          ['…', `${p.extras.length - EXTRA_FACTS_MAX + 1} more metadata keys`] as [string, string],
        ];
  const rows: [string, string][] = [
    ['Canary', event.name],
    ['Namespace', event.namespace],
    ['State', p.state],
    ['Event', event.metadata.eventType],
    ...(p.progress
      ? [['Progress', `${progressBar(p.progress.fraction)} ${p.progress.label}`] as [string, string]]
      : []),
    ...p.details,
    ...extras,
  ];
  return rows.map(([k, v]) => [safe(truncate(k, FACT_MAX)), safe(truncate(v, FACT_MAX))]);
}

/**
 * A time Teams shows in each reader's zone ("Date/Time formatting and localization",
 * learn.microsoft.com/adaptive-cards): DATE()/TIME() take RFC 3339 without milliseconds.
 */
export const readerTime = (t: Date | number) => {
  const iso = new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `{{DATE(${iso}, SHORT)}} {{TIME(${iso})}}`;
};

/**
 * An Adaptive Card 1.4 of ours: a header in the tone's container style, then `body`, and link
 * buttons (the Workflows card's and the Teams bot's reports).
 */
function card(
  tone: Presentation['tone'],
  title: string,
  body: unknown[],
  links: readonly { title: string; url: string }[],
): Record<string, unknown> {
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    msteams: { width: 'Full' },
    body: [
      {
        type: 'Container',
        style: STYLE[tone],
        bleed: true,
        items: [{ type: 'TextBlock', text: safe(title), weight: 'Bolder', size: 'Medium', wrap: true }],
      },
      ...body,
    ],
    ...(links.length
      ? { actions: links.map((l) => ({ type: 'Action.OpenUrl', title: l.title, url: l.url })) }
      : {}),
  };
}

/** A card as Workflows takes it: a message with the card as its one attachment. */
const cardMessage = (content: unknown) => ({
  type: 'message',
  attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }],
});

const adaptiveCard = (event: FlaggerEvent, p: Presentation): unknown =>
  cardMessage(
    card(
      p.tone,
      `${p.emoji} ${p.title}`,
      [
        { type: 'TextBlock', text: safe(truncate(p.message, MESSAGE_MAX)), wrap: true },
        { type: 'FactSet', facts: facts(event, p).map(([title, value]) => ({ title, value })) },
        { type: 'TextBlock', text: readerTime(p.time), isSubtle: true, size: 'Small', wrap: true },
      ],
      linksOf(p),
    ),
  );

/** The legacy MessageCard old Office 365 connectors take: one section, its facts and link buttons. */
function legacyCard(
  tone: Presentation['tone'],
  summary: string,
  section: { activityTitle: string; text: string; facts: [string, string][] },
  links: readonly { title: string; url: string }[],
): unknown {
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    themeColor: THEME[tone],
    summary,
    sections: [{ ...section, facts: section.facts.map(([name, value]) => ({ name, value })) }],
    ...(links.length
      ? {
          potentialAction: links.map((l) => ({
            '@type': 'OpenUri',
            name: l.title,
            targets: [{ os: 'default', uri: l.url }],
          })),
        }
      : {}),
  };
}

const messageCard = (event: FlaggerEvent, p: Presentation): unknown =>
  legacyCard(
    p.tone,
    safe(truncate(`${canaryId(event)}: ${p.message}`, 200)),
    {
      activityTitle: safe(`${p.emoji} ${p.title}`),
      text: safe(truncate(p.message, MESSAGE_MAX)),
      facts: facts(event, p),
    },
    linksOf(p),
  );

/** Which card a destination takes: its `format`, else what its URL's host takes. */
const formatOf = (options: TeamsOptions): TeamsFormat => options.format ?? defaultTeamsFormat(options.url);

/** A digest or quiet-hours summary as an Adaptive Card 1.4 (the Workflows card's and the bot's). */
export const reportCard = (r: Report): Record<string, unknown> =>
  card(
    r.tone,
    r.title,
    [
      { type: 'TextBlock', text: safe(truncate(r.summary, MESSAGE_MAX)), wrap: true },
      ...(r.fields.length
        ? [
            {
              type: 'FactSet',
              facts: r.fields.slice(0, 30).map(([k, v]) => ({
                title: safe(truncate(k, FACT_MAX)),
                value: safe(truncate(v, FACT_MAX)),
              })),
            },
          ]
        : []),
      ...r.lines.slice(0, 30).map((l) => ({
        type: 'TextBlock',
        text: safe(`- ${truncate(l, FACT_MAX)}`),
        wrap: true,
        spacing: 'None',
      })),
    ],
    r.link ? [r.link] : [],
  );

export function formatTeamsReport(r: Report, options: TeamsOptions = {}): unknown {
  if (formatOf(options) === 'messagecard') {
    return legacyCard(
      r.tone,
      safe(truncate(r.title, 200)),
      {
        activityTitle: safe(r.title),
        text: safe(truncate([r.summary, ...r.lines.map((l) => `- ${l}`)].join('\n\n'), MESSAGE_MAX)),
        facts: r.fields.map(([name, value]) => [safe(name), safe(value)]),
      },
      r.link ? [r.link] : [],
    );
  }
  return cardMessage(reportCard(r));
}

export function formatTeams(
  event: FlaggerEvent,
  options: TeamsOptions = {},
  ctx: Partial<SendContext> = {},
): unknown {
  const p = present(event, options.dashboardUrl, ctx.links?.rollout, ctx.wording);
  return formatOf(options) === 'messagecard' ? messageCard(event, p) : adaptiveCard(event, p);
}

export const teams = webhookProvider<TeamsOptions, 'teams'>({
  id: 'teams',
  title: 'Microsoft Teams',
  env: { url: 'TEAMS_WEBHOOK_URL', format: 'TEAMS_FORMAT' },
  secrets: ['TEAMS_WEBHOOK_URL'],
  options: teamsSchema,
  // Workflows (Power Automate) hosts, and old Office 365 connectors.
  allowedHosts: [
    '*.logic.azure.com',
    '*.environment.api.powerplatform.com',
    '*.powerautomate.com',
    '*.webhook.office.com',
  ],
  // Teams Workflows: about 4/s and 60 per 30 s (2/s sustained); 2 instances × 1/s = 2/s.
  minIntervalMs: 1000,
  format: formatTeams,
  report: formatTeamsReport,
});
