import * as z from 'zod/mini';
import type { FlaggerEvent } from '../../event/event';
import { attachment, reportAttachment } from '../attachments';
import { notBoth, opt } from '../destination';
import type { Report, SendContext } from '../provider';
import { webhookProvider } from '../webhook-provider';

/** Its routing-file options, as its schema reads them, plus the shared dashboard link. */
export type MattermostOptions = z.infer<typeof mattermostSchema> & { dashboardUrl?: string };

const mattermostSchema = z
  .object({
    url: opt(z.string()),
    // A channel's name (as in its URL), not its display name; `@user` for a direct message.
    channel: opt(
      z.string().check(z.regex(/^@?[a-z0-9._-]{1,64}$/, 'must be a channel name such as town-square')),
    ),
    username: opt(z.string().check(z.maxLength(64))),
    iconUrl: opt(z.url({ protocol: /^https$/, error: 'must be an https URL' })),
    iconEmoji: opt(z.string().check(z.regex(/^:?[\w+-]+:?$/, 'must be an emoji name such as rocket'))),
  })
  .check(notBoth('iconEmoji', 'iconUrl', 'set an icon emoji or an icon URL, not both'));

// Username and icon overrides work only where the server's admin enabled them.
const postedAs = (options: MattermostOptions) => ({
  ...(options.username ? { username: options.username } : {}),
  ...(options.iconUrl ? { icon_url: options.iconUrl } : {}),
  ...(options.iconEmoji ? { icon_emoji: options.iconEmoji.replace(/:/g, '') } : {}),
  ...(options.channel ? { channel: options.channel } : {}),
});

/** Mattermost's incoming webhook takes Slack-style attachments (developers.mattermost.com). */
export function formatMattermost(
  event: FlaggerEvent,
  options: MattermostOptions = {},
  ctx: Partial<SendContext> = {},
): unknown {
  return {
    ...postedAs(options),
    attachments: [attachment(event, options.dashboardUrl, ctx.links?.rollout, ctx.wording)],
  };
}

/** A digest or quiet-hours summary, in the destination's own name and channel. */
export const formatMattermostReport = (r: Report, options: MattermostOptions = {}): unknown => ({
  ...postedAs(options),
  attachments: [reportAttachment(r)],
});

export const mattermost = webhookProvider<MattermostOptions, 'mattermost'>({
  id: 'mattermost',
  title: 'Mattermost',
  env: {
    url: 'MATTERMOST_WEBHOOK_URL',
    channel: 'MATTERMOST_CHANNEL',
    username: 'MATTERMOST_USERNAME',
    iconUrl: 'MATTERMOST_ICON_URL',
    iconEmoji: 'MATTERMOST_ICON_EMOJI',
  },
  secrets: ['MATTERMOST_WEBHOOK_URL'],
  options: mattermostSchema,
  // Mattermost Cloud; a self-hosted server is added with WEBHOOK_ALLOWED_HOSTS.
  allowedHosts: ['*.cloud.mattermost.com'],
  // No limit by default (an admin may turn one on: 429, retried with backoff).
  minIntervalMs: 1000,
  format: formatMattermost,
  report: formatMattermostReport,
});
