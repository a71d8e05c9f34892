import * as z from 'zod/mini';
import { canaryId, type FlaggerEvent } from '../../event/event';
import { opt } from '../destination';
import { factRows, linksOf, type Presentation, present, TONE_COLOR } from '../presentation';
import type { Report, SendContext } from '../provider';
import { truncateBytes } from '../text';
import { webhookProvider } from '../webhook-provider';

// Google Chat (developers.google.com/workspace/chat/api/reference/rest/v1/cards): a card holds at
// most 100 widgets and 32 KB, counted in bytes. Budgets in UTF-8 bytes, after escaping, keep any
// event (emoji, CJK, a page of `<`) within both: 10 KB message, 14 KB of facts, 1.5 KB fallback.
const MESSAGE_BYTES = 10_000;
const FACT_BYTES = 600;
const FACTS_BYTES = 14_000;
const FACTS_MAX = 40;
const TEXT_BYTES = 1500;

const googlechatSchema = z.object({ url: opt(z.string()) });

/** Its routing-file options, as its schema reads them, plus the shared dashboard link. */
export type GoogleChatOptions = z.infer<typeof googlechatSchema> & { dashboardUrl?: string };

// Google Chat's own grey for neutral reads better on its white cards than Slack's.
const COLOR: Record<Presentation['tone'], string> = {
  ...TONE_COLOR,
  neutral: '#5f6368',
};

/**
 * Card text takes a small HTML subset (<b>, <font>, <a>): anything from the event is escaped so
 * it shows as typed. Plain `text` uses Chat's own markup, where `<users/all>` would ping everyone.
 */
const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * One thread per rollout where the destination keeps rollout state (milestones, the default),
 * else per canary: the key is deterministic, so Chat needs no message id of ours to find it.
 */
export const threadKey = (e: Pick<FlaggerEvent, 'namespace' | 'name'>, rolloutStartedAt?: number) =>
  `flagger/${e.namespace}/${e.name}${rolloutStartedAt ? `/${rolloutStartedAt}` : ''}`;

export function formatGoogleChat(
  event: FlaggerEvent,
  options: GoogleChatOptions = {},
  ctx: Partial<SendContext> = {},
): unknown {
  const p = present(event, options.dashboardUrl, ctx.links?.rollout, ctx.wording);
  const facts = factRows(event, p).slice(0, FACTS_MAX);
  const message = truncateBytes(html(p.message), MESSAGE_BYTES);
  // The card's header already carries the title; the tone's colour marks the message instead.
  const widgets: unknown[] = [
    { textParagraph: { text: `<font color="${COLOR[p.tone]}">●</font> ${message}` } },
  ];
  let budget = FACTS_BYTES;
  for (const [k, v] of facts) {
    const topLabel = truncateBytes(html(k), FACT_BYTES / 3);
    const text = truncateBytes(html(v), FACT_BYTES);
    budget -= Buffer.byteLength(topLabel) + Buffer.byteLength(text);
    if (budget < 0) break;
    widgets.push({ decoratedText: { topLabel, text, wrapText: true } });
  }
  if (linksOf(p).length) {
    widgets.push({
      buttonList: {
        buttons: linksOf(p).map((l) => ({ text: l.title, onClick: { openLink: { url: l.url } } })),
      },
    });
  }
  // The fallback shows in notifications; `<` would start Chat markup such as <users/all>.
  const text = truncateBytes(`${p.emoji} ${canaryId(event)}: ${p.message}`.replace(/</g, '‹'), TEXT_BYTES);
  return {
    text,
    thread: { threadKey: threadKey(event, ctx.rolloutStartedAt) },
    cardsV2: [
      {
        cardId: 'flagger-event',
        card: {
          header: { title: truncateBytes(`${p.emoji} ${p.title}`, 600), subtitle: p.time.toISOString() },
          sections: [{ widgets }],
        },
      },
    ],
  };
}

/** A digest or quiet-hours summary as a card of its own (a new thread). */
export function formatGoogleChatReport(r: Report): unknown {
  const widgets: unknown[] = [
    {
      textParagraph: {
        text: `<font color="${COLOR[r.tone]}">●</font> ${truncateBytes(html(r.summary), TEXT_BYTES)}`,
      },
    },
    ...r.fields.slice(0, FACTS_MAX).map(([k, v]) => ({
      decoratedText: {
        topLabel: truncateBytes(html(k), FACT_BYTES / 3),
        text: truncateBytes(html(v), FACT_BYTES),
        wrapText: true,
      },
    })),
  ];
  if (r.lines.length)
    widgets.push({
      textParagraph: { text: truncateBytes(r.lines.map((l) => `• ${html(l)}`).join('<br>'), MESSAGE_BYTES) },
    });
  if (r.link)
    widgets.push({
      buttonList: { buttons: [{ text: r.link.title, onClick: { openLink: { url: r.link.url } } }] },
    });
  return {
    text: truncateBytes(r.title.replace(/</g, '‹'), TEXT_BYTES),
    cardsV2: [
      {
        cardId: `flagger-${r.kind}`,
        card: { header: { title: truncateBytes(r.title, 600) }, sections: [{ widgets }] },
      },
    ],
  };
}

export const googlechat = webhookProvider<GoogleChatOptions, 'googlechat'>({
  id: 'googlechat',
  title: 'Google Chat',
  env: { url: 'GOOGLE_CHAT_WEBHOOK_URL' },
  secrets: ['GOOGLE_CHAT_WEBHOOK_URL'],
  options: googlechatSchema,
  allowedHosts: ['chat.googleapis.com'],
  // 60 writes per minute per space, shared by every app in it; 2 instances × 1 per 2 s = 1/s.
  // A 429 carries no Retry-After: the exponential backoff decides.
  minIntervalMs: 2000,
  format: formatGoogleChat,
  report: formatGoogleChatReport,
  // Replies into the canary's thread, or starts it; the URL's own key and token stay as they are.
  url(base) {
    const u = new URL(base);
    u.searchParams.set('messageReplyOption', 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD');
    return u.href;
  },
});
