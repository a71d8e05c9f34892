import * as z from 'zod/mini';
import { canaryId, type FlaggerEvent } from '../../event/event';
import { notBoth, opt } from '../destination';
import { linksOf, present, progressBar, TONE_COLOR } from '../presentation';
import type { Report, SendContext } from '../provider';
import { escapeMrkdwn as esc, truncate } from '../text';
import { webhookProvider } from '../webhook-provider';

// Slack limits (docs.slack.dev, Block Kit reference): section text 3000, field 2000 (max 10), context ≤ 10 elements, button
// URL 3000; the whole message is kept far under Slack's ~12,000-character advice.
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
const CONTEXT_MAX = 2000;
const FALLBACK_MAX = 300;
const URL_MAX = 3000;

/** Its routing-file options, as its schema reads them, plus the shared dashboard link. */
export type SlackOptions = z.infer<typeof slackSchema> & { dashboardUrl?: string };

const slackSchema = z
  .object({
    url: opt(z.string()),
    username: opt(z.string().check(z.maxLength(80))),
    iconEmoji: opt(z.string().check(z.regex(/^:[\w+-]+:$/, 'must look like :rocket:'))),
    iconUrl: opt(z.url({ protocol: /^https$/, error: 'must be an https URL' })),
    channel: opt(z.string().check(z.regex(/^[#@]?[\w.-]{1,80}$/, 'must be a channel such as #deploys'))),
  })
  .check(notBoth('iconEmoji', 'iconUrl', 'set an icon emoji or an icon URL, not both'));

/** Link buttons as a Block Kit `actions` block (Slack refuses a button URL over 3,000 characters). */
export function linkButtons(links: readonly { title: string; url: string }[]): unknown {
  const fit = links.filter((l) => l.url.length <= URL_MAX);
  if (!fit.length) return undefined;
  return {
    type: 'actions',
    elements: fit.map((l) => ({ type: 'button', text: { type: 'plain_text', text: l.title }, url: l.url })),
  };
}

const mrkdwn = (text: string, max = SECTION_MAX) => ({ type: 'mrkdwn', text: truncate(text, max) });

export function formatSlack(
  event: FlaggerEvent,
  options: SlackOptions = {},
  ctx: Partial<SendContext> = {},
): unknown {
  const p = present(event, options.dashboardUrl, ctx.links?.rollout, ctx.wording);
  const message = esc(p.message);
  const seconds = Math.floor(p.time.getTime() / 1000);
  // The date token renders in each reader's time zone; the text after | is the fallback.
  const time = `<!date^${seconds}^{date_short_pretty} {time_secs}|${p.time.toISOString()}>`;
  const context = [
    `State *${esc(p.state)}*`,
    esc(event.metadata.eventType),
    ...p.extras.map(([k, v]) => `${esc(k)}: ${esc(v)}`),
    time,
  ].join('  ·  ');

  const blocks: unknown[] = [{ type: 'section', text: mrkdwn(`${p.emoji} *${esc(p.title)}*\n${message}`) }];
  if (p.progress) {
    blocks.push({
      type: 'section',
      text: mrkdwn(`\`${progressBar(p.progress.fraction)}\` ${p.progress.label}`),
    });
  }
  if (p.details.length) {
    blocks.push({
      type: 'section',
      fields: p.details.slice(0, 10).map(([k, v]) => mrkdwn(`*${esc(k)}*\n${esc(v)}`, FIELD_MAX)),
    });
  }
  blocks.push({ type: 'context', elements: [mrkdwn(context, CONTEXT_MAX)] });
  const buttons = linkButtons(linksOf(p));
  if (buttons) blocks.push(buttons);
  const fallback = truncate(`${p.emoji} ${esc(canaryId(event))}: ${message}`, FALLBACK_MAX);
  return {
    text: fallback,
    ...postedAs(options),
    attachments: [{ color: TONE_COLOR[p.tone], fallback, blocks }],
  };
}

/** The destination's own name, icon and channel, where it sets them. */
const postedAs = (options: SlackOptions) => ({
  ...(options.username ? { username: options.username } : {}),
  ...(options.iconEmoji ? { icon_emoji: options.iconEmoji } : {}),
  ...(options.iconUrl ? { icon_url: options.iconUrl } : {}),
  ...(options.channel ? { channel: options.channel } : {}),
});

/** A digest or quiet-hours summary as Block Kit: title, summary, fields, lines, the fleet page. */
export function reportBlocks(r: Report): unknown[] {
  const blocks: unknown[] = [{ type: 'section', text: mrkdwn(`*${esc(r.title)}*\n${esc(r.summary)}`) }];
  // Block Kit: at most 10 fields per section.
  for (let i = 0; i < r.fields.length && i < 20; i += 10) {
    blocks.push({
      type: 'section',
      fields: r.fields.slice(i, i + 10).map(([k, v]) => mrkdwn(`*${esc(k)}*\n${esc(v)}`, FIELD_MAX)),
    });
  }
  if (r.lines.length)
    blocks.push({ type: 'section', text: mrkdwn(r.lines.map((l) => `• ${esc(l)}`).join('\n')) });
  const buttons = r.link ? linkButtons([r.link]) : undefined;
  if (buttons) blocks.push(buttons);
  return blocks;
}

export function formatSlackReport(r: Report, options: SlackOptions = {}): unknown {
  const fallback = truncate(esc(r.title), FALLBACK_MAX);
  return {
    text: fallback,
    ...postedAs(options),
    attachments: [{ color: TONE_COLOR[r.tone], fallback, blocks: reportBlocks(r) }],
  };
}

export const slack = webhookProvider<SlackOptions, 'slack'>({
  id: 'slack',
  title: 'Slack',
  env: {
    url: 'SLACK_WEBHOOK_URL',
    username: 'SLACK_USERNAME',
    iconEmoji: 'SLACK_ICON_EMOJI',
    iconUrl: 'SLACK_ICON_URL',
    channel: 'SLACK_CHANNEL',
  },
  secrets: ['SLACK_WEBHOOK_URL'],
  options: slackSchema,
  allowedHosts: ['hooks.slack.com'],
  // Slack: about 1 message per second per webhook (api.slack.com/docs/rate-limits);
  // 2 instances × 1 per 2 s = 1/s.
  minIntervalMs: 2000,
  format: formatSlack,
  report: formatSlackReport,
});
