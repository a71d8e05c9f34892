import { canaryId, type FlaggerEvent } from '../event/event';
import { factRows, present, TONE_COLOR } from './presentation';
import type { Report, Wording } from './provider';
import { neutralizeMarkdownLinks, truncate } from './text';

// Rocket.Chat refuses messages over its Message_MaxAllowedSize (5,000 by default) and Mattermost
// splits posts over 16,383 characters (developers.mattermost.com, incoming webhooks): the message
// and facts stay within the smaller of the two.
const MESSAGE_MAX = 3000;
const FACT_MAX = 300;
const FACTS_MAX = 20;
const FALLBACK_MAX = 300;

/**
 * Both render Markdown and ping on `@all`, `@channel`, `@here` and `@user`, and both read Slack's
 * syntax too: Mattermost turns `<!channel>`, `<!here>` and `<!all>` into those mentions and
 * `<url|text>` into a link (developers.mattermost.com, "Slack compatibility"), Rocket.Chat renders
 * `<url|text>` as a link. A zero-width space after `@` and after a `<` that opens `!`, `@` or `#`
 * keeps the text readable and the mention inert; the `|` of a `<…|…>` becomes `∣` (U+2223), so
 * no disguised link can form, and `[text](url)` is broken as everywhere else.
 */
export const inert = (s: string): string =>
  neutralizeMarkdownLinks(
    s
      .replace(/(^|[^\w])@(?=[\w.-])/g, '$1@\u200b')
      .replace(/<(?=[!@#])/g, '<\u200b')
      .replace(/<[^<>\n]*\|[^<>\n]*>/g, (m) => m.replace(/\|/g, '\u2223')),
  );

export interface Attachment {
  /** The notification line, where the attachment cannot be shown. */
  fallback: string;
  color: string;
  title: string;
  title_link?: string;
  text: string;
  fields: { title: string; value: string; short: boolean }[];
}

/** The Slack-style message attachment Rocket.Chat and Mattermost both read. */
export function attachment(
  event: FlaggerEvent,
  dashboardUrl?: string,
  rolloutUrl?: string,
  wording?: Wording,
): Attachment {
  const p = present(event, dashboardUrl, rolloutUrl, wording);
  const facts: [string, string][] = [...factRows(event, p), ['Time', p.time.toISOString()]];
  return {
    fallback: inert(truncate(`${p.emoji} ${canaryId(event)}: ${p.message}`, FALLBACK_MAX)),
    color: TONE_COLOR[p.tone],
    title: inert(`${p.emoji} ${p.title}`),
    ...((p.rollout ?? p.link) ? { title_link: (p.rollout ?? p.link)?.url } : {}),
    text: inert(truncate(p.message, MESSAGE_MAX)),
    fields: [
      ...facts.slice(0, FACTS_MAX).map(([k, v]) => ({
        title: inert(truncate(k, FACT_MAX)),
        value: inert(truncate(v, FACT_MAX)),
        short: v.length <= 40,
      })),
      // The title links to the rollout page; the dashboard, when there is one too, is our own
      // Markdown link, added after the event's text was made inert.
      ...(p.rollout && p.link ? [{ title: p.link.title, value: `[Open](${p.link.url})`, short: true }] : []),
    ],
  };
}

/** A digest or quiet-hours summary as the same attachment: the title links to the fleet page. */
export function reportAttachment(r: Report): Attachment {
  return {
    fallback: inert(truncate(r.title, FALLBACK_MAX)),
    color: TONE_COLOR[r.tone],
    title: inert(truncate(r.title, FACT_MAX)),
    ...(r.link ? { title_link: r.link.url } : {}),
    text: inert(truncate([r.summary, ...r.lines.map((l) => `- ${l}`)].join('\n'), MESSAGE_MAX)),
    fields: r.fields.slice(0, FACTS_MAX).map(([k, v]) => ({
      title: inert(truncate(k, FACT_MAX)),
      value: inert(truncate(v, FACT_MAX)),
      short: v.length <= 40,
    })),
  };
}
