import * as z from 'zod/mini';
import { postJson } from '../../delivery/http';
import { ConfigError } from '../../errors';
import type { FlaggerEvent } from '../../event/event';
import { inert } from '../attachments';
import { apiBase, opt, parseOptions } from '../destination';
import { factRows, linksOf, present } from '../presentation';
import type { Provider, Report, SendContext } from '../provider';
import { truncateBytes } from '../text';

// Webex (developer.webex.com, Messages "Create a Message"): `markdown` and `text` are at most
// 7,439 bytes each. Budgets in UTF-8 bytes keep any event inside: 4 KB for the message, 2.5 KB of
// facts, and the rest for the title and links.
const MARKDOWN_BYTES = 7439;
const MESSAGE_BYTES = 4000;
const FACT_BYTES = 300;
const FACTS_BYTES = 2500;
const TEXT_BYTES = 1000;

const webexSchema = z.object({
  token: opt(z.string().check(z.minLength(20, 'must be a Webex bot access token'))),
  // Room ids are base64 of `ciscospark://…/ROOM/<uuid>`.
  room: opt(z.string().check(z.regex(/^[A-Za-z0-9+/=_-]{20,200}$/, 'must be a Webex room id'))),
  apiUrl: opt(z.string()),
});
export type WebexOptions = z.infer<typeof webexSchema> & { dashboardUrl?: string };

/**
 * Webex markdown pings on `<@all>` and `<@personEmail:…>` and links `[text](url)`: event data goes
 * through the same neutralising as Mattermost's and Rocket.Chat's (a zero-width space after `<`
 * and `@`, a broken `](`), and `*`/`_` stay literal where they would open emphasis.
 */
const md = (s: string) => inert(s).replace(/([*_`~])/g, '\\$1');

/** One markdown message per milestone (or event): title, message, facts, the rollout page. */
export function formatWebex(event: FlaggerEvent, options: WebexOptions = {}, ctx: Partial<SendContext> = {}) {
  const p = present(event, options.dashboardUrl, ctx.links?.rollout, ctx.wording);
  let facts = '';
  for (const [k, v] of factRows(event, p)) {
    const line = `- **${md(k)}**: ${md(truncateBytes(v, FACT_BYTES))}\n`;
    if (Buffer.byteLength(facts + line) > FACTS_BYTES) break;
    facts += line;
  }
  // Our own links (the signed page, the dashboard template): the only links a message carries.
  const links = linksOf(p)
    .map((l) => `[${l.title}](${l.url})`)
    .join(' · ');
  const markdown = truncateBytes(
    [`${p.emoji} **${md(p.title)}**`, md(truncateBytes(p.message, MESSAGE_BYTES)), facts.trimEnd(), links]
      .filter(Boolean)
      .join('\n\n'),
    MARKDOWN_BYTES,
  );
  return {
    roomId: options.room,
    markdown,
    // For clients without markdown and for notifications.
    text: truncateBytes(`${p.emoji} ${p.title}: ${p.message}`, TEXT_BYTES),
  };
}

/** A digest or quiet-hours summary as one markdown message. */
export function formatWebexReport(r: Report, options: WebexOptions = {}) {
  const fields = r.fields.map(([k, v]) => `- **${md(k)}**: ${md(truncateBytes(v, FACT_BYTES))}`).join('\n');
  const lines = r.lines.map((l) => `- ${md(truncateBytes(l, FACT_BYTES))}`).join('\n');
  const markdown = truncateBytes(
    [
      `**${md(r.title)}**`,
      md(truncateBytes(r.summary, MESSAGE_BYTES)),
      truncateBytes(fields, FACTS_BYTES),
      truncateBytes(lines, FACTS_BYTES),
      r.link ? `[${r.link.title}](${r.link.url})` : '',
    ]
      .filter(Boolean)
      .join('\n\n'),
    MARKDOWN_BYTES,
  );
  return { roomId: options.room, markdown, text: truncateBytes(r.title, TEXT_BYTES) };
}

/**
 * Webex: a bot posts a markdown message to a room per milestone (or per event), with its token.
 * Webex answers 200 with the message; 401/403/404 (bad token, not in the room, no such room) are
 * refused for good, 429 is retried after its Retry-After (the shared HTTP rules).
 */
export const webex: Provider<'webex'> = {
  id: 'webex',
  title: 'Webex',
  modes: ['milestones', 'all'],
  env: { token: 'WEBEX_TOKEN', room: 'WEBEX_ROOM_ID', apiUrl: 'WEBEX_API_URL' },
  on: 'WEBEX_TOKEN',
  secrets: ['WEBEX_TOKEN'],
  options: webexSchema,
  allowedHosts: ['webexapis.com'],
  // Webex does not publish a per-room limit; one message a second keeps a busy room readable.
  minIntervalMs: 2000,
  reports: true,
  preview: (event, dashboardUrl) =>
    formatWebex(event, { room: 'Y2lzY29zcGFyazovL3VzL1JPT00vcHJldmlldw', dashboardUrl }),
  create(d, common) {
    const options = parseOptions(d, webexSchema);
    if (!options.token) throw new ConfigError(`${d.field('token')}: is not set`);
    if (!options.room) throw new ConfigError(`${d.field('room')}: is not set`);
    const base = apiBase(d, common, 'https://webexapis.com', ['webexapis.com']);
    const url = `${base}/v1/messages`;
    const all = { ...options, dashboardUrl: common.dashboardUrl };
    const post = async (body: unknown, timeoutMs: number) =>
      postJson(url, body, {
        timeoutMs,
        label: 'webex',
        kind: 'API messages',
        // The token is only ever a header: never in a URL, a log line or an error.
        headers: { authorization: `Bearer ${options.token}` },
      });
    return {
      async report(r, ctx) {
        return { status: (await post(formatWebexReport(r, all), ctx.timeoutMs)).status };
      },
      async send(event, ctx) {
        return { status: (await post(formatWebex(event, all, ctx), ctx.timeoutMs)).status };
      },
    };
  },
};
