import * as z from 'zod/mini';
import { ConfigError, RetryableDeliveryError } from '../../errors';
import type { FlaggerEvent } from '../../event/event';
import { logger } from '../../log';
import { reduce } from '../../rollouts/tracker';
import { type RolloutRecord, type RolloutStore, rolloutKey } from '../../stores/rollouts';
import { destinationUrl, opt, parseOptions } from '../destination';
import type { Provider, SendContext } from '../provider';
import { LiveMessageGoneError, type SlackApi, slackApi, slackCode } from './api';
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

interface Live {
  api: SlackApi;
  store: RolloutStore;
  destination: string;
  options: Options & { dashboardUrl?: string };
}

/** The rollout's id in Slack message metadata, to find a post whose answer was lost. */
const rolloutId = (destination: string, r: RolloutRecord) =>
  `${destination}/${r.rollout.canary}/${r.rollout.startedAt}`;

/**
 * Looks for our own rollout message among the channel's latest, after a post whose outcome is
 * unknown (a timeout, Slack's `fatal_error`, a crash before its answer was stored). Needs the
 * `channels:history` (or `groups:history`) scope; without it a second parent is possible and is
 * logged (README "Slack app").
 */
async function findPosted(live: Live, channel: string, id: string): Promise<string | undefined> {
  try {
    const res = await live.api.call<{
      messages?: { ts: string; metadata?: { event_payload?: { rollout?: string } } }[];
    }>('conversations.history', { channel, limit: 50, include_all_metadata: true });
    return res.messages?.find((m) => m.metadata?.event_payload?.rollout === id)?.ts;
  } catch (err) {
    logger.warn('could not look for an uncertain rollout message; posting a new one', {
      destination: live.destination,
      code: slackCode(err) ?? (err as Error).name,
    });
    return undefined;
  }
}

/** Posts, replies and redraws until nothing is pending; state is saved after each step. */
async function flush(
  live: Live,
  key: string,
  start: { record: RolloutRecord; version: number },
  event: FlaggerEvent,
  ctx: SendContext,
): Promise<number> {
  let { record, version } = start;
  let calls = 0;
  const save = async (next: RolloutRecord) => {
    version = await live.store.put(key, next, version);
    record = next;
  };
  const draw = () =>
    rolloutMessage(record.rollout, {
      namespace: event.namespace,
      name: event.name,
      dashboardUrl: live.options.dashboardUrl,
    });
  const customise = {
    ...(live.options.username ? { username: live.options.username } : {}),
    ...(live.options.iconEmoji ? { icon_emoji: live.options.iconEmoji } : {}),
  };
  for (let round = 0; round < 3; round++) {
    try {
      if (!record.message) {
        const id = rolloutId(live.destination, record);
        const channel = live.options.channel as string;
        const found = record.uncertainPost === id ? await findPosted(live, channel, id) : undefined;
        if (found) {
          await save({ ...record, message: { channel, id: found }, uncertainPost: undefined });
        } else {
          // Marked before posting: if the answer is lost, the retry looks before posting again.
          await save({ ...record, uncertainPost: id });
          calls++;
          const res = await live.api.call<{ channel: string; ts: string }>('chat.postMessage', {
            channel,
            ...draw(),
            ...customise,
            unfurl_links: false,
            unfurl_media: false,
            metadata: { event_type: METADATA_TYPE, event_payload: { rollout: id } },
          });
          // Slack answers with the channel's id: chat.update needs it, whatever was configured.
          await save({
            ...record,
            message: { channel: res.channel, id: res.ts },
            uncertainPost: undefined,
            pending: { ...record.pending, update: false },
          });
        }
      }
      const message = record.message as { channel: string; id: string };
      while (record.pending?.replies?.length) {
        const [reply, ...rest] = record.pending.replies;
        calls++;
        await live.api.call('chat.postMessage', {
          channel: message.channel,
          thread_ts: message.id,
          text: reply?.text,
          ...customise,
          // A failure is shown in the channel too, not only in the thread.
          ...(reply?.broadcast ? { reply_broadcast: true } : {}),
        });
        await save({ ...record, pending: { ...record.pending, replies: rest } });
      }
      if (record.pending?.update && !ctx.moreInGroup) {
        calls++;
        await live.api.call('chat.update', { channel: message.channel, ts: message.id, ...draw() });
        await save({ ...record, pending: { ...record.pending, update: false } });
      }
      return calls;
    } catch (err) {
      if (!(err instanceof LiveMessageGoneError)) throw err;
      // Deleted, frozen or too old to edit: the rollout goes on in a new message.
      logger.warn('rollout message gone, posting a new one', {
        destination: live.destination,
        code: err.code,
      });
      await save({ ...record, message: undefined, uncertainPost: undefined });
    }
  }
  throw new RetryableDeliveryError('the rollout message kept disappearing; will try again');
}

/**
 * Slack app: one live message per rollout (chat.postMessage once, chat.update as it moves), with
 * failing checks, approval gates and the outcome as thread replies, a failure broadcast to the
 * channel. State per destination and canary lives in the state table.
 */
export const slackApp: Provider = {
  id: 'slack-app',
  title: 'Slack app',
  live: true,
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
    const live: Live = {
      api: slackApi(base.href, options.token, () => timeoutMs),
      store: common.store,
      destination: d.name,
      options: { ...options, dashboardUrl: common.dashboardUrl },
    };
    return {
      async send(event, ctx) {
        timeoutMs = ctx.timeoutMs;
        const key = rolloutKey(d.name, event);
        const got = await live.store.get(key);
        let record = got?.value;
        let version = got?.version ?? 0;
        if (!record?.applied.includes(ctx.messageId)) {
          const step = reduce(record?.rollout, event);
          const keep = step.started ? undefined : record;
          record = {
            rollout: step.rollout,
            applied: [...(record?.applied ?? []), ctx.messageId],
            ...(keep?.message ? { message: keep.message } : {}),
            ...(keep?.uncertainPost ? { uncertainPost: keep.uncertainPost } : {}),
            pending: {
              replies: [
                ...(keep?.pending?.replies ?? []),
                ...step.notes.map((n) => ({ ...noteMessage(n, step.rollout), broadcast: n.broadcast })),
              ],
              update: true,
            },
          };
          version = await live.store.put(key, record, version);
        }
        const calls = await flush(live, key, { record, version }, event, ctx);
        return { status: 200, calls };
      },
    };
  },
};
