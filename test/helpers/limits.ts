import { createRequire } from 'node:module';

type Text = { type?: string; text?: string };
type Block = { type: string; text?: Text; fields?: Text[]; elements?: (Text & { url?: string })[] };
type SlackPayload = { text?: string; blocks?: Block[]; attachments?: { blocks?: Block[] }[] };

/** Every documented Slack limit (docs.slack.dev, Block Kit reference) a payload breaks; empty when it is fine. */
export function slackLimitViolations(p: SlackPayload): string[] {
  const out: string[] = [];
  const blocks = [...(p.blocks ?? []), ...(p.attachments ?? []).flatMap((a) => a.blocks ?? [])];
  if (blocks.length > 50) out.push(`${blocks.length} blocks > 50`);
  for (const b of blocks) {
    if (b.type === 'section' && (b.text?.text?.length ?? 0) > 3000) out.push('section text > 3000');
    if (b.type === 'header' && (b.text?.text?.length ?? 0) > 150) out.push('header > 150');
    if ((b.fields?.length ?? 0) > 10) out.push('more than 10 fields');
    if (b.fields?.some((f) => (f.text?.length ?? 0) > 2000)) out.push('field > 2000');
    if (b.type === 'context' && (b.elements?.length ?? 0) > 10) out.push('context > 10 elements');
    if (b.elements?.some((e) => (e.url?.length ?? 0) > 3000)) out.push('button url > 3000');
  }
  if (JSON.stringify(p).length > 12_000) out.push('message over 12,000 characters');
  return out;
}

// adaptivecards' lib/ entry does not load in Node; its browser bundle does (docs/providers/teams.md).
const AC = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js');

/** What Microsoft's own parser reports for a card: unknown elements, invalid values, … */
export function adaptiveCardProblems(card: unknown): string[] {
  const ac = new AC.AdaptiveCard();
  const ctx = new AC.SerializationContext();
  ac.parse(card, ctx);
  const problems: string[] = [];
  for (let i = 0; i < ctx.eventCount; i++) problems.push(ctx.getEventAt(i).message);
  for (const e of ac.validateProperties().validationEvents ?? []) problems.push(e.message);
  return problems;
}

type DiscordEmbed = {
  title?: string;
  description?: string;
  fields?: { name: string; value: string }[];
  footer?: { text: string };
};
type DiscordPayload = { content?: string; embeds?: DiscordEmbed[]; allowed_mentions?: { parse: string[] } };

/** Every documented Discord embed limit a payload breaks (discord.com/developers/docs, embed limits). */
export function discordLimitViolations(p: DiscordPayload): string[] {
  const out: string[] = [];
  if ((p.content?.length ?? 0) > 2000) out.push('content > 2000');
  if ((p.embeds?.length ?? 0) > 10) out.push('more than 10 embeds');
  let total = 0;
  for (const e of p.embeds ?? []) {
    if ((e.title?.length ?? 0) > 256) out.push('title > 256');
    if ((e.description?.length ?? 0) > 4096) out.push('description > 4096');
    if ((e.fields?.length ?? 0) > 25) out.push('more than 25 fields');
    for (const f of e.fields ?? []) {
      if (f.name.length > 256) out.push('field name > 256');
      if (f.value.length > 1024) out.push('field value > 1024');
      if (!f.name.length || !f.value.length) out.push('empty field name or value');
    }
    total +=
      (e.title?.length ?? 0) +
      (e.description?.length ?? 0) +
      (e.footer?.text.length ?? 0) +
      (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
  }
  if (total > 6000) out.push(`embeds total ${total} > 6000`);
  if (JSON.stringify(p.allowed_mentions) !== '{"parse":[]}') out.push('mentions not neutralised');
  return out;
}

/** Google Chat: 100 widgets per card, 32 KB per card (developers.google.com/workspace/chat). */
export function googleChatLimitViolations(p: {
  cardsV2?: { card: { sections: { widgets: unknown[] }[] } }[];
}): string[] {
  const out: string[] = [];
  for (const c of p.cardsV2 ?? []) {
    const widgets = c.card.sections.reduce((n, s) => n + s.widgets.length, 0);
    if (widgets > 100) out.push(`${widgets} widgets > 100`);
    if (Buffer.byteLength(JSON.stringify(c.card)) > 32_000) out.push('card > 32 KB');
  }
  if (Buffer.byteLength(JSON.stringify(p)) > 32_000) out.push('message > 32,000 bytes');
  return out;
}

/** Rocket.Chat's default Message_MaxAllowedSize (5,000) bounds the attachment's text parts. */
export function attachmentLimitViolations(p: {
  attachments?: { text: string; fields: { value: string }[] }[];
}): string[] {
  const out: string[] = [];
  for (const a of p.attachments ?? []) {
    if (a.text.length > 5000) out.push('text > 5000');
    if (a.fields.length > 20) out.push('more than 20 fields');
  }
  if (JSON.stringify(p).length > 16_000) out.push('message over 16,000 characters');
  return out;
}
