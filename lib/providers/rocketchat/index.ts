import * as z from 'zod/mini';
import { describeAnswer, type HttpAnswer } from '../../delivery/http';
import { PermanentDeliveryError } from '../../errors';
import type { FlaggerEvent } from '../../event/event';
import { attachment, reportAttachment } from '../attachments';
import { notBoth, opt } from '../destination';
import type { Report, SendContext } from '../provider';
import { webhookProvider } from '../webhook-provider';

/** Its routing-file options, as its schema reads them, plus the shared dashboard link. */
export type RocketChatOptions = z.infer<typeof rocketchatSchema> & { dashboardUrl?: string };

const rocketchatSchema = z
  .object({
    url: opt(z.string()),
    channel: opt(z.string().check(z.regex(/^[#@]?[\w.-]{1,80}$/, 'must be a channel such as #deploys'))),
    alias: opt(z.string().check(z.maxLength(80))),
    emoji: opt(z.string().check(z.regex(/^:[\w+-]+:$/, 'must look like :rocket:'))),
    avatar: opt(z.url({ protocol: /^https$/, error: 'must be an https URL' })),
  })
  .check(notBoth('emoji', 'avatar', 'set an emoji or an avatar, not both'));

export function formatRocketChat(
  event: FlaggerEvent,
  options: RocketChatOptions = {},
  ctx: Partial<SendContext> = {},
): unknown {
  return {
    ...postedAs(options),
    attachments: [attachment(event, options.dashboardUrl, ctx.links?.rollout, ctx.wording)],
  };
}

const postedAs = (options: RocketChatOptions) => ({
  ...(options.alias ? { alias: options.alias } : {}),
  ...(options.emoji ? { emoji: options.emoji } : {}),
  ...(options.avatar ? { avatar: options.avatar } : {}),
  // Rocket.Chat answers 400 "overriding destination channel is disabled for this integration"
  // to any `channel` unless its admin allowed it: sent only when the destination sets one.
  ...(options.channel ? { channel: options.channel } : {}),
});

/** A digest or quiet-hours summary, in the destination's own name and channel. */
export const formatRocketChatReport = (r: Report, options: RocketChatOptions = {}): unknown => ({
  ...postedAs(options),
  attachments: [reportAttachment(r)],
});

/** Rocket.Chat reports some refusals as `{"success": false}` (its integrations API). */
function checkSuccess(a: HttpAnswer, where: string): void {
  if (a.status >= 200 && a.status < 300 && (a.json as { success?: unknown })?.success === false) {
    throw new PermanentDeliveryError(describeAnswer(a, where), a.status);
  }
}

export const rocketchat = webhookProvider<RocketChatOptions, 'rocketchat'>({
  id: 'rocketchat',
  title: 'Rocket.Chat',
  env: {
    url: 'ROCKETCHAT_WEBHOOK_URL',
    channel: 'ROCKETCHAT_CHANNEL',
    alias: 'ROCKETCHAT_ALIAS',
    emoji: 'ROCKETCHAT_EMOJI',
    avatar: 'ROCKETCHAT_AVATAR',
  },
  secrets: ['ROCKETCHAT_WEBHOOK_URL'],
  options: rocketchatSchema,
  // Rocket.Chat Cloud; a self-hosted server is added with WEBHOOK_ALLOWED_HOSTS.
  allowedHosts: ['*.rocket.chat'],
  // The REST rate limiter (on by default) allows 10 calls a minute per route unless raised:
  // 2 instances × 1 per 12 s = 10/min.
  minIntervalMs: 12_000,
  format: formatRocketChat,
  report: formatRocketChatReport,
  request: () => ({ check: checkSuccess }),
});
