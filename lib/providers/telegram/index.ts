import * as z from 'zod/mini';
import { type HttpAnswer, postJson } from '../../delivery/http';
import { ConfigError, PermanentDeliveryError, RetryableDeliveryError } from '../../errors';
import type { FlaggerEvent } from '../../event/event';
import { plainText, plural } from '../../event/text';
import type { RolloutRecord } from '../../rollouts/state';
import { isEnded, progressOf, type Rollout, reduce } from '../../rollouts/tracker';
import { apiBase, opt, parseOptions } from '../destination';
import { LiveMessageGoneError, type LivePlatform, sendLive } from '../live';
import { CHAT_MESSAGE_MAX, dashboardLink, progressBar, ROLLOUT_LINK_TITLE } from '../presentation';
import type { DestinationDef, Provider, Report } from '../provider';
import { checks, duration, LOOK, step } from '../summary';
import { truncate } from '../text';

// Telegram Bot API (core.telegram.org/bots/api): a message's text is 1–4,096 characters after
// entity parsing; HTML parse mode escapes <, > and & as entities.
const TEXT_MAX = 4096;
const LINE_MAX = 600;

const telegramSchema = z.object({
  token: opt(z.string().check(z.regex(/^\d{5,16}:[\w-]{30,64}$/, 'must be a bot token (123456:ABC…)'))),
  chat: opt(
    z.string().check(z.regex(/^(-?\d{1,20}|@\w{5,32})$/, 'must be a chat id (-100…) or @channelname')),
  ),
  thread: opt(z.string().check(z.regex(/^\d{1,12}$/, 'must be a forum topic id'))),
  apiUrl: opt(z.string()),
});
type Options = z.infer<typeof telegramSchema>;

/**
 * Event text as Telegram shows it: HTML-escaped, and a zero-width space after `@` so a
 * `@username` or `@admins` in a message mentions (and notifies) nobody.
 */
export const tg = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/(^|[^\w])@(?=\w)/g, '$1@\u200b');
const line = (s: string) => tg(truncate(plainText(s, CHAT_MESSAGE_MAX), LINE_MAX));

/** The rollout message in Telegram's HTML, redrawn in full on every edit. */
export function telegramMessage(r: Rollout, links: { title: string; url: string }[]): string {
  const look = LOOK[r.status];
  const progress = progressOf(r);
  const rows = [
    `<b>${tg(`${look.emoji} ${r.canary} · ${look.label}`)}</b>`,
    `Step: ${tg(step(r))}`,
    `Revision: ${tg(r.revision ?? 'pending')}`,
    `${isEnded(r) ? 'Took' : 'Elapsed'}: ${duration((r.endedAt ?? r.updatedAt) - r.startedAt)}`,
    `Checks: ${tg(truncate(checks(r), LINE_MAX))}`,
    ...(r.gates.length
      ? [`Approval gates: ${tg(r.gates.map((g) => `${g.passed ? '✓' : '⏸️'} ${g.name}`).join(', '))}`]
      : []),
    ...(progress !== undefined
      ? [`<code>${progressBar(progress)}</code> ${Math.round(progress * 100)}%`]
      : []),
    ...(r.reason ? [`<b>Why</b>: ${line(r.reason)}`] : []),
    `<i>Last: ${line(r.lastMessage)} · ${plural(r.events, 'event')}</i>`,
    // Our own links only: the rollout page and the dashboard template.
    ...links.map((l) => `<a href="${tg(l.url)}">${tg(l.title)}</a>`),
  ];
  // Whole lines are dropped from the end of the facts before anything is cut mid-tag.
  let text = rows.join('\n');
  while (text.length > TEXT_MAX && rows.length > 2) {
    rows.splice(rows.length - 2, 1);
    text = rows.join('\n');
  }
  return text;
}

/** A digest or quiet-hours summary in Telegram's HTML: a message of its own. */
export function telegramReport(r: Report): string {
  const rows = [
    `<b>${tg(r.title)}</b>`,
    tg(truncate(r.summary, LINE_MAX)),
    ...r.fields.map(([k, v]) => `${tg(k)}: ${tg(truncate(v, LINE_MAX))}`),
    ...r.lines.map((l) => `• ${tg(truncate(l, LINE_MAX))}`),
    ...(r.link ? [`<a href="${tg(r.link.url)}">${tg(r.link.title)}</a>`] : []),
  ];
  let text = rows.join('\n');
  while (text.length > TEXT_MAX && rows.length > 2) {
    rows.splice(rows.length - 2, 1);
    text = rows.join('\n');
  }
  return text;
}

interface TelegramAnswer {
  ok?: boolean;
  description?: string;
  error_code?: number;
  result?: { message_id?: number };
  parameters?: { retry_after?: number };
}

/**
 * Telegram answers `{ok:false, error_code, description, parameters}`: 429 waits `retry_after`,
 * a message gone is a new one (an edit that changes nothing is done: see `call`); 401/403/400 (bad token, bot
 * removed, no such chat) are refused for good, without the token (it is in the URL path).
 */
function check(method: string) {
  return (a: HttpAnswer, where: string) => {
    const body = a.json as TelegramAnswer | undefined;
    if (a.status >= 200 && a.status < 300 && body?.ok !== false) return;
    const code = body?.error_code ?? a.status;
    const what = `${where}: ${code} ${String(body?.description ?? '').slice(0, 200)}`;
    if (code === 429) throw new RetryableDeliveryError(what, 429, body?.parameters?.retry_after);
    if (
      method === 'editMessageText' &&
      /message to edit not found|MESSAGE_ID_INVALID/i.test(body?.description ?? '')
    )
      throw new LiveMessageGoneError(`telegram ${code}`);
    if (code >= 500) throw new RetryableDeliveryError(what, code);
    throw new PermanentDeliveryError(what, code);
  };
}

/**
 * Telegram: one live message per rollout (sendMessage once, editMessageText as it moves); a
 * failure and the outcome get a reply of their own, which notifies where an edit does not.
 */
export const telegram: Provider<'telegram'> = {
  id: 'telegram',
  title: 'Telegram',
  modes: ['live'],
  env: {
    token: 'TELEGRAM_BOT_TOKEN',
    chat: 'TELEGRAM_CHAT_ID',
    thread: 'TELEGRAM_THREAD_ID',
    apiUrl: 'TELEGRAM_API_URL',
  },
  on: 'TELEGRAM_BOT_TOKEN',
  secrets: ['TELEGRAM_BOT_TOKEN'],
  options: telegramSchema,
  allowedHosts: ['api.telegram.org'],
  // A bot may send about 20 messages a minute to one group: 2 instances × 1 per 6 s = 20.
  minIntervalMs: 6000,
  reports: true,
  preview: (event, dashboardUrl) => ({
    chat_id: '-1001234567890',
    parse_mode: 'HTML',
    text: telegramMessage(reduce(undefined, event).rollout, linksOf(event, dashboardUrl)),
  }),
  create(d: DestinationDef, common) {
    const options: Options = parseOptions(d, telegramSchema);
    if (!options.token) throw new ConfigError(`${d.field('token')}: is not set`);
    if (!options.chat) throw new ConfigError(`${d.field('chat')}: is not set`);
    const base = apiBase(d, common, 'https://api.telegram.org', ['api.telegram.org']);
    const store = common.store;
    if (!store) throw new ConfigError(`${d.field('token')}: a Telegram destination needs STATE_TABLE`);
    const api = `${base}/bot${options.token}`;
    const where = {
      chat_id: options.chat,
      ...(options.thread ? { message_thread_id: Number(options.thread) } : {}),
    };
    return {
      async report(r, ctx) {
        await postJson(
          `${api}/sendMessage`,
          {
            ...where,
            text: telegramReport(r),
            parse_mode: 'HTML',
            link_preview_options: { is_disabled: true },
          },
          {
            timeoutMs: ctx.timeoutMs,
            label: 'telegram',
            kind: 'API sendMessage',
            check: check('sendMessage'),
          },
        );
        return { status: 200, calls: 1 };
      },
      async send(event, ctx) {
        const call = async (method: string, body: object): Promise<TelegramAnswer> => {
          try {
            return (
              await postJson(`${api}/${method}`, body, {
                timeoutMs: ctx.timeoutMs,
                label: 'telegram',
                kind: `API ${method}`,
                check: check(method),
              })
            ).json as TelegramAnswer;
          } catch (err) {
            // An edit to the text it already has: done (a redelivered redraw, two events alike).
            if (err instanceof PermanentDeliveryError && /message is not modified/i.test(err.message))
              return { ok: true };
            throw err;
          }
        };
        const links = linksOf(event, common.dashboardUrl, ctx.links?.rollout);
        const draw = (r: RolloutRecord) => ({
          ...where,
          text: telegramMessage(r.rollout, links),
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
        });
        const platform: LivePlatform = {
          // Only a failure is worth a message of its own; the rest is in the edited message.
          note: (n) =>
            n.broadcast
              ? truncate(`${n.kind === 'outcome' ? '' : '⚠️ '}${plainText(n.text, CHAT_MESSAGE_MAX)}`, 1000)
              : undefined,
          async post(record) {
            const res = await call('sendMessage', draw(record));
            const id = res.result?.message_id;
            if (!id) throw new RetryableDeliveryError('telegram sendMessage answered without a message id');
            return { id: String(id) };
          },
          async update(record, message) {
            const { message_thread_id: _, ...chat } = draw(record) as ReturnType<typeof draw> & {
              message_thread_id?: number;
            };
            await call('editMessageText', { ...chat, message_id: Number(message.id) });
          },
          async reply(message, reply) {
            if (!reply.broadcast) return;
            await call('sendMessage', {
              ...where,
              text: tg(reply.text),
              parse_mode: 'HTML',
              reply_parameters: { message_id: Number(message.id), allow_sending_without_reply: true },
            });
          },
        };
        const { calls } = await sendLive(store, d.name, platform, event, ctx);
        return { status: 200, calls };
      },
    };
  },
};

function linksOf(e: FlaggerEvent, dashboardUrl?: string, rolloutUrl?: string) {
  const dashboard = dashboardLink(dashboardUrl, e);
  return [
    ...(rolloutUrl ? [{ title: ROLLOUT_LINK_TITLE, url: rolloutUrl }] : []),
    ...(dashboard ? [dashboard] : []),
  ];
}
