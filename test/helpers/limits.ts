import { createRequire } from 'node:module';

type Text = { type?: string; text?: string };
type Block = { type: string; text?: Text; fields?: Text[]; elements?: (Text & { url?: string })[] };
type SlackPayload = { text?: string; blocks?: Block[]; attachments?: { blocks?: Block[] }[] };

/** Every documented Slack limit (DESIGN §3) a payload breaks; empty when it is fine. */
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

// adaptivecards' lib/ entry does not load in Node; its browser bundle does (DESIGN §4).
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
