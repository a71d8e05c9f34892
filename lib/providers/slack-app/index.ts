import * as z from 'zod/mini';
import { ConfigError } from '../../errors';
import { canaryRef, type FlaggerEvent } from '../../event/event';
import { logger } from '../../log';
import type { RolloutRecord } from '../../rollouts/state';
import { reduce } from '../../rollouts/tracker';
import { apiBase, opt, parseOptions } from '../destination';
import { type LivePlatform, sendLive } from '../live';
import type { CommonSettings, DestinationDef, Provider } from '../provider';
import { formatSlackReport } from '../slack';
import { type SlackApi, slackApi, slackCode } from './api';
import { noteMessage, rolloutMessage } from './message';

const slackAppSchema = z.object({
  token: opt(z.string().check(z.regex(/^xox[bp]-/, 'must be a bot token (xoxb-…)'))),
  // An id (C…, G…) is safest; a #name works for posting, and the id Slack answers is kept.
  channel: opt(
    z
      .string()
      .check(z.regex(/^(#?[\w.-]{1,80}|[CGD][A-Z0-9]{6,})$/, 'must be a channel id such as C0123456789')),
  ),
  apiUrl: opt(z.string()),
  username: opt(z.string().check(z.maxLength(80))),
  iconEmoji: opt(z.string().check(z.regex(/^:[\w+-]+:$/, 'must look like :rocket:'))),
  // Who may press Approve / Roll back: Slack user ids (U…, W…) and user-group ids (S…), a YAML
  // list or a comma-separated string; unset, anyone who can see the message (docs/gates.md).
  approvers: opt(
    z.pipe(
      z.transform((v: unknown) =>
        typeof v === 'string'
          ? v
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : v,
      ),
      z.array(z.string().check(z.regex(/^[UWS][A-Z0-9]{2,20}$/, 'must be Slack user or user-group ids'))),
    ),
  ),
  // Distinct approvers needed before Approve opens the gate (a quorum); a YAML number or a string.
  minApprovals: opt(
    z.pipe(
      z.transform((v: unknown) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v)),
      z.number().check(z.int(), z.gte(1, 'must be from 1 to 10'), z.lte(10, 'must be from 1 to 10')),
    ),
  ),
});
type Options = z.infer<typeof slackAppSchema>;

/**
 * A Slack app destination's options and Web API, checked as its worker checks them (the
 * interactions endpoint answers through the same destination).
 */
export function slackAppDestination(
  d: DestinationDef,
  common: Pick<CommonSettings, 'deployed' | 'extraAllowedHosts'>,
  timeoutMs: () => number,
): { options: Options; api: SlackApi } {
  const options = parseOptions(d, slackAppSchema);
  if (!options.token) throw new ConfigError(`${d.field('token')}: is not set`);
  const base = apiBase(d, common, 'https://slack.com/api', ['slack.com']);
  return { options, api: slackApi(base, options.token, timeoutMs) };
}

const METADATA_TYPE = 'flagger_notify_rollout';

/** The Slack side of a live message: post, chat.update, thread replies, and finding a lost post. */
function slackPlatform(
  api: SlackApi,
  destination: string,
  options: Options & { dashboardUrl?: string },
  event: FlaggerEvent,
  rolloutUrl?: string,
  summary?: string,
): LivePlatform {
  const channel = options.channel as string;
  const customise = {
    ...(options.username ? { username: options.username } : {}),
    ...(options.iconEmoji ? { icon_emoji: options.iconEmoji } : {}),
  };
  const draw = (r: RolloutRecord) =>
    rolloutMessage(r.rollout, {
      ...canaryRef(event),
      destination,
      dashboardUrl: options.dashboardUrl,
      ...(rolloutUrl ? { rolloutUrl } : {}),
      ...(summary ? { summary } : {}),
    });
  return {
    note: (n, r) => noteMessage(n, r).text,
    async post(record, id) {
      const res = await api.call<{ channel: string; ts: string }>('chat.postMessage', {
        channel,
        ...draw(record),
        ...customise,
        unfurl_links: false,
        unfurl_media: false,
        metadata: { event_type: METADATA_TYPE, event_payload: { rollout: id } },
      });
      // Slack answers with the channel's id: chat.update needs it, whatever was configured.
      return { channel: res.channel, id: res.ts };
    },
    async update(record, message) {
      await api.call('chat.update', { channel: message.channel, ts: message.id, ...draw(record) });
    },
    async reply(message, reply) {
      await api.call('chat.postMessage', {
        channel: message.channel,
        thread_ts: message.id,
        text: reply.text,
        ...customise,
        // A failure is shown in the channel too, not only in the thread.
        ...(reply.broadcast ? { reply_broadcast: true } : {}),
      });
    },
    /**
     * Our own rollout message among the channel's latest, after a post whose outcome is unknown.
     * Needs `channels:history` (or `groups:history`); without it a second parent is possible and
     * is logged (docs/providers/slack-app.md).
     */
    async find(id) {
      try {
        const res = await api.call<{
          messages?: { ts: string; metadata?: { event_payload?: { rollout?: string } } }[];
        }>('conversations.history', { channel, limit: 50, include_all_metadata: true });
        const ts = res.messages?.find((m) => m.metadata?.event_payload?.rollout === id)?.ts;
        return ts ? { channel, id: ts } : undefined;
      } catch (err) {
        logger.warn('could not look for an uncertain rollout message; posting a new one', {
          destination,
          code: slackCode(err) ?? (err as Error).name,
        });
        return undefined;
      }
    },
  };
}

/**
 * Slack app: one live message per rollout (chat.postMessage once, chat.update as it moves), with
 * failing checks, approval gates and the outcome as thread replies, a failure broadcast to the
 * channel. State per destination and canary lives in the state table.
 */
export const slackApp: Provider<'slack-app'> = {
  id: 'slack-app',
  title: 'Slack app',
  modes: ['live'],
  env: {
    token: 'SLACK_BOT_TOKEN',
    channel: 'SLACK_CHANNEL_ID',
    apiUrl: 'SLACK_API_URL',
    username: 'SLACK_APP_USERNAME',
    iconEmoji: 'SLACK_APP_ICON_EMOJI',
    approvers: 'SLACK_APPROVERS',
    minApprovals: 'SLACK_MIN_APPROVALS',
  },
  on: 'SLACK_BOT_TOKEN',
  secrets: ['SLACK_BOT_TOKEN'],
  options: slackAppSchema,
  allowedHosts: ['slack.com'],
  // chat.update allows ~50 calls a minute per workspace (Tier 3): 2 instances × 1 per 2.5 s = 48.
  minIntervalMs: 2500,
  reports: true,
  preview: (event, dashboardUrl) =>
    rolloutMessage(reduce(undefined, event).rollout, {
      namespace: event.namespace,
      name: event.name,
      dashboardUrl,
    }),
  create(d, common) {
    let timeoutMs = 10_000;
    const { options, api } = slackAppDestination(d, common, () => timeoutMs);
    if (!options.channel) throw new ConfigError(`${d.field('channel')}: is not set`);
    if (!common.store)
      throw new ConfigError(`${d.field('token')}: a Slack app destination needs STATE_TABLE`);
    const store = common.store;
    const all = { ...options, dashboardUrl: common.dashboardUrl };
    return {
      // A message of its own in the channel, as the webhook's: the same blocks.
      async report(r, ctx) {
        timeoutMs = ctx.timeoutMs;
        await api.call('chat.postMessage', {
          channel: options.channel,
          ...(formatSlackReport(r, { username: options.username, iconEmoji: options.iconEmoji }) as object),
          unfurl_links: false,
          unfurl_media: false,
        });
        return { status: 200, calls: 1 };
      },
      async send(event, ctx) {
        timeoutMs = ctx.timeoutMs;
        const { calls } = await sendLive(
          store,
          d.name,
          slackPlatform(api, d.name, all, event, ctx.links?.rollout, ctx.wording?.title),
          event,
          ctx,
        );
        return { status: 200, calls };
      },
    };
  },
};
