import * as z from 'zod/mini';
import { ConfigError } from '../../errors';
import type { FlaggerEvent } from '../../event/event';
import { logger } from '../../log';
import type { RolloutRecord } from '../../rollouts/state';
import { reduce } from '../../rollouts/tracker';
import { destinationUrl, opt, parseOptions } from '../destination';
import { type LivePlatform, sendLive } from '../live';
import type { Provider } from '../provider';
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
});
type Options = z.infer<typeof slackAppSchema>;

const METADATA_TYPE = 'flagger_notify_rollout';

/** The Slack side of a live message: post, chat.update, thread replies, and finding a lost post. */
function slackPlatform(
  api: SlackApi,
  destination: string,
  options: Options & { dashboardUrl?: string },
  event: FlaggerEvent,
  rolloutUrl?: string,
): LivePlatform {
  const channel = options.channel as string;
  const customise = {
    ...(options.username ? { username: options.username } : {}),
    ...(options.iconEmoji ? { icon_emoji: options.iconEmoji } : {}),
  };
  const draw = (r: RolloutRecord) =>
    rolloutMessage(r.rollout, {
      namespace: event.namespace,
      name: event.name,
      dashboardUrl: options.dashboardUrl,
      ...(rolloutUrl ? { rolloutUrl } : {}),
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
  },
  on: 'SLACK_BOT_TOKEN',
  secrets: ['SLACK_BOT_TOKEN'],
  options: slackAppSchema,
  allowedHosts: ['slack.com'],
  // chat.update allows ~50 calls a minute per workspace (Tier 3): 2 instances × 1 per 2.5 s = 48.
  minIntervalMs: 2500,
  preview: (event, dashboardUrl) =>
    rolloutMessage(reduce(undefined, event).rollout, {
      namespace: event.namespace,
      name: event.name,
      dashboardUrl,
    }),
  create(d, common) {
    const options = parseOptions(d, slackAppSchema);
    if (!options.token) throw new ConfigError(`${d.field('token')}: is not set`);
    if (!options.channel) throw new ConfigError(`${d.field('channel')}: is not set`);
    const base = destinationUrl(
      { ...d, options: { ...d.options, apiUrl: options.apiUrl ?? 'https://slack.com/api' } },
      common,
      ['slack.com'],
      'apiUrl',
    );
    if (!common.store)
      throw new ConfigError(`${d.field('token')}: a Slack app destination needs STATE_TABLE`);
    let timeoutMs = 10_000;
    const api = slackApi(base.href, options.token, () => timeoutMs);
    const store = common.store;
    const all = { ...options, dashboardUrl: common.dashboardUrl };
    return {
      async send(event, ctx) {
        timeoutMs = ctx.timeoutMs;
        const { calls } = await sendLive(
          store,
          d.name,
          slackPlatform(api, d.name, all, event, ctx.links?.rollout),
          event,
          ctx,
        );
        return { status: 200, calls };
      },
    };
  },
};
