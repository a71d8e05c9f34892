import type { PostOptions } from '../../delivery/http';
import { postJson } from '../../delivery/http';
import { RetryableDeliveryError } from '../../errors';
import type { FlaggerEvent } from '../../event/event';
import { plainText, plural } from '../../event/text';
import { isEnded, progressOf, type Rollout } from '../../rollouts/tracker';
import { LiveMessageGoneError, type LivePlatform } from '../live';
import { CHAT_MESSAGE_MAX, dashboardLink, progressBar, TONE_COLOR } from '../presentation';
import { checks, duration, LOOK, step } from '../summary';
import { neutralizeMarkdownLinks as safe, truncate } from '../text';

const chat = (s: string) => plainText(s, CHAT_MESSAGE_MAX);

// Discord's error codes (discord.com/developers/docs/topics/opcodes-and-status-codes):
// 10008 Unknown Message (deleted), 30046 too many edits to a message older than an hour.
const GONE_CODES = new Set([10008, 30046]);

/** The rollout message as one Discord embed, redrawn in full on every edit. */
export function rolloutEmbed(
  r: Rollout,
  dashboardUrl: string | undefined,
  e: FlaggerEvent,
  rolloutUrl?: string,
): unknown {
  const look = LOOK[r.status];
  const progress = progressOf(r);
  // The title opens the rollout's page when there is one, else the dashboard.
  const link = rolloutUrl ? { url: rolloutUrl } : dashboardLink(dashboardUrl, e);
  const field = (name: string, value: string, inline = true) => ({
    name,
    value: truncate(safe(value), 1024) || '-',
    inline,
  });
  return {
    title: truncate(`${look.emoji} ${r.canary} · ${look.label}`, 256),
    description: truncate(safe(chat(r.reason ?? r.lastMessage)), 2000),
    color: Number.parseInt(TONE_COLOR[look.tone].slice(1), 16),
    ...(link && link.url.length <= 2048 ? { url: link.url } : {}),
    fields: [
      field('Step', step(r)),
      field('Revision', r.revision ?? 'pending'),
      field(isEnded(r) ? 'Took' : 'Elapsed', duration((r.endedAt ?? r.updatedAt) - r.startedAt)),
      field('Checks', checks(r), false),
      ...(r.gates.length
        ? [field('Approval gates', r.gates.map((g) => `${g.passed ? '✓' : '⏸️'} ${g.name}`).join(', '), false)]
        : []),
      ...(progress !== undefined
        ? [field('Progress', `${progressBar(progress)} ${Math.round(progress * 100)}%`, false)]
        : []),
      field('Last', chat(r.lastMessage), false),
    ],
    timestamp: new Date(r.updatedAt).toISOString(),
    footer: { text: `flagger-notify · ${plural(r.events, 'event')}` },
  };
}

/**
 * Discord webhooks can edit their own messages: post with `?wait=true` (the answer carries the
 * message id), then `PATCH …/messages/{id}` (discord.com/developers/docs/resources/webhook).
 * Text channels have no threads for webhooks, so checks and gates live in the embed and only a
 * failure gets a message of its own, which notifies where an edit does not.
 */
export function discordLive(
  base: URL,
  options: { username?: string; avatarUrl?: string; dashboardUrl?: string },
  event: FlaggerEvent,
  ctx: { timeoutMs: number; links?: { rollout?: string } },
  request: Pick<PostOptions, 'headers' | 'sign' | 'check'>,
): LivePlatform {
  const at = (path: string, wait: boolean) => {
    const u = new URL(base);
    u.pathname = `${u.pathname.replace(/\/+$/, '')}${path}`;
    if (wait) u.searchParams.set('wait', 'true');
    return u.href;
  };
  const who = {
    ...(options.username ? { username: options.username } : {}),
    ...(options.avatarUrl ? { avatar_url: options.avatarUrl } : {}),
  };
  const send = (url: string, body: object, method: 'POST' | 'PATCH') =>
    postJson(
      url,
      { ...body, allowed_mentions: { parse: [] } },
      {
        timeoutMs: ctx.timeoutMs,
        label: 'discord',
        method,
        ...request,
        // An edit of a message that is gone (deleted, or edited too often) starts a new one.
        check: (a, where) => {
          const code = (a.json as { code?: number } | undefined)?.code;
          if (method === 'PATCH' && (a.status === 404 || GONE_CODES.has(code ?? 0))) {
            throw new LiveMessageGoneError(`discord ${code ?? a.status}`);
          }
          request.check?.(a, where);
        },
      },
    );
  return {
    // An edit notifies nobody, so only a failure gets a message of its own.
    note: (n) =>
      n.broadcast ? truncate(`${n.kind === 'outcome' ? '' : '⚠️ '}${safe(chat(n.text))}`, 1900) : undefined,
    async post(record) {
      const answer = await send(
        at('', true),
        { ...who, embeds: [rolloutEmbed(record.rollout, options.dashboardUrl, event, ctx.links?.rollout)] },
        'POST',
      );
      const id = (answer.json as { id?: string } | undefined)?.id;
      // Without an id it cannot be edited: ask again rather than lose the live message.
      if (!id) throw new RetryableDeliveryError('discord webhook answered without a message id');
      return { id: String(id) };
    },
    async update(record, message) {
      await send(
        at(`/messages/${message.id}`, false),
        { embeds: [rolloutEmbed(record.rollout, options.dashboardUrl, event, ctx.links?.rollout)] },
        'PATCH',
      );
    },
    async reply(_message, reply) {
      if (!reply.broadcast) return;
      await send(at('', true), { ...who, content: reply.text }, 'POST');
    },
  };
}
