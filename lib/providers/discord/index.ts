import * as z from 'zod/mini';
import type { HttpAnswer } from '../../delivery/http';
import { describeAnswer } from '../../delivery/http';
import { RetryableDeliveryError } from '../../errors';
import type { FlaggerEvent } from '../../event/event';
import { opt } from '../destination';
import { factRows, present, TONE_COLOR } from '../presentation';
import type { Report, SendContext } from '../provider';
import { neutralizeMarkdownLinks as safe, truncate } from '../text';
import { webhookProvider } from '../webhook-provider';
import { discordLive } from './live';

// Discord's embed limits (discord.com/developers/docs/resources/message#embed-object-embed-limits):
// title 256, description 4096, 25 fields of name 256 / value 1024, footer 2048, and 6000
// characters over all of them together; over any of these the whole message is refused (400).
const TITLE_MAX = 256;
const DESCRIPTION_MAX = 4096;
const FIELDS_MAX = 25;
const FIELD_NAME_MAX = 256;
const FIELD_VALUE_MAX = 1024;
const TOTAL_MAX = 6000;
const URL_MAX = 2048;

/** Its routing-file options, as its schema reads them, plus the shared dashboard link. */
export type DiscordOptions = z.infer<typeof discordSchema> & { dashboardUrl?: string };

const discordSchema = z.object({
  url: opt(z.string()),
  // Discord refuses names containing "discord" or "clyde" and longer than 80 characters.
  username: opt(
    z.string().check(
      z.maxLength(80),
      z.refine((s) => !/discord|clyde/i.test(s), 'must not contain "discord" or "clyde"'),
    ),
  ),
  avatarUrl: opt(z.url({ protocol: /^https$/, error: 'must be an https URL' })),
});

interface Field {
  name: string;
  value: string;
  inline: boolean;
}

const field = (name: string, value: string, inline = true): Field => ({
  name: truncate(safe(name), FIELD_NAME_MAX),
  // An empty value is a 400: Discord needs at least one character.
  value: truncate(safe(value), FIELD_VALUE_MAX) || '-',
  inline,
});

const postedAs = (options: DiscordOptions) => ({
  ...(options.username ? { username: options.username } : {}),
  ...(options.avatarUrl ? { avatar_url: options.avatarUrl } : {}),
});
// Discord takes the colour as an integer.
const colour = (tone: keyof typeof TONE_COLOR) => Number.parseInt(TONE_COLOR[tone].slice(1), 16);

export function formatDiscord(
  event: FlaggerEvent,
  options: DiscordOptions = {},
  ctx: Partial<SendContext> = {},
): unknown {
  const p = present(event, options.dashboardUrl, ctx.links?.rollout, ctx.wording);
  const titleLink = (p.rollout ?? p.link)?.url;
  const title = truncate(`${p.emoji} ${p.title}`, TITLE_MAX);
  const footer = 'flagger-notify';
  // The progress bar gets a line of its own; the other facts sit side by side.
  const fields = factRows(event, p).map(([k, v]) => field(k, v, k !== 'Progress'));
  // What is left for the message once the fixed parts are counted; fields that would not fit go.
  let budget = TOTAL_MAX - title.length - footer.length;
  const kept: Field[] = [];
  for (const f of fields.slice(0, FIELDS_MAX)) {
    const size = f.name.length + f.value.length;
    if (budget - size < 1000) break;
    kept.push(f);
    budget -= size;
  }
  const description = truncate(safe(p.message), Math.min(DESCRIPTION_MAX, budget));
  return {
    ...postedAs(options),
    embeds: [
      {
        title,
        description,
        color: colour(p.tone),
        // The title links to the rollout's page when there is one, else to the dashboard.
        ...(titleLink && titleLink.length <= URL_MAX ? { url: titleLink } : {}),
        fields: kept,
        timestamp: p.time.toISOString(),
        footer: { text: footer },
      },
    ],
    // Webhooks parse user mentions by default; an event must never ping anyone.
    allowed_mentions: { parse: [] },
  };
}

/** A digest or quiet-hours summary as one embed; the title links to the fleet page. */
export function formatDiscordReport(r: Report, options: DiscordOptions = {}): unknown {
  const title = truncate(r.title, TITLE_MAX);
  const fields = r.fields.slice(0, FIELDS_MAX).map(([k, v]) => field(k, v));
  const used = title.length + fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
  const description = truncate(
    safe([r.summary, ...r.lines.map((l) => `• ${l}`)].join('\n')),
    Math.min(DESCRIPTION_MAX, TOTAL_MAX - used - 100),
  );
  return {
    ...postedAs(options),
    embeds: [
      {
        title,
        description,
        color: colour(r.tone),
        ...(r.link && r.link.url.length <= URL_MAX ? { url: r.link.url } : {}),
        fields,
        footer: { text: 'flagger-notify' },
      },
    ],
    allowed_mentions: { parse: [] },
  };
}

/** A 429's JSON says how long, as float seconds (discord.com/developers/docs/topics/rate-limits). */
function checkRateLimit(a: HttpAnswer, where: string): void {
  if (a.status !== 429) return;
  const body = a.json as { retry_after?: unknown } | undefined;
  const fromBody = typeof body?.retry_after === 'number' ? body.retry_after : undefined;
  const fromHeader = Number(a.headers.get('retry-after'));
  const seconds = fromBody ?? (Number.isFinite(fromHeader) && fromHeader > 0 ? fromHeader : undefined);
  throw new RetryableDeliveryError(describeAnswer(a, where), 429, seconds);
}

export const discord = webhookProvider<DiscordOptions, 'discord'>({
  id: 'discord',
  title: 'Discord',
  env: { url: 'DISCORD_WEBHOOK_URL', username: 'DISCORD_USERNAME', avatarUrl: 'DISCORD_AVATAR_URL' },
  secrets: ['DISCORD_WEBHOOK_URL'],
  options: discordSchema,
  allowedHosts: ['discord.com', 'discordapp.com', 'ptb.discord.com', 'canary.discord.com'],
  // A channel takes 30 messages a minute from webhooks (about 5 per 2 s per webhook besides); the
  // headers decide within that, and 2 instances × 1 per 4 s = 30/min stays inside it.
  minIntervalMs: 4000,
  // A live message per rollout by default: Discord lets a webhook edit its own messages.
  modes: ['live', 'milestones', 'all'],
  live: discordLive,
  format: formatDiscord,
  report: formatDiscordReport,
  // Without wait=true Discord answers 204 before saving, and a message it then drops is never
  // reported; with it, a refusal comes back as an error.
  url(base) {
    const u = new URL(base);
    u.searchParams.set('wait', 'true');
    return u.href;
  },
  request: () => ({ check: checkRateLimit }),
  // The bucket is empty: wait for it to refill before the next message.
  onDelivered(a) {
    if (a.headers.get('x-ratelimit-remaining') !== '0') return {};
    const after = Number(a.headers.get('x-ratelimit-reset-after'));
    return Number.isFinite(after) && after > 0 ? { waitSeconds: after } : {};
  },
});
