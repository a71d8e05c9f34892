import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type FlaggerEvent, parseFlaggerEvent } from '../lib/event/event';
import { handleIngest, type IngestRequest } from '../lib/ingest/ingest';
import { formatDiscord, formatDiscordReport } from '../lib/providers/discord';
import { formatGoogleChat, formatGoogleChatReport } from '../lib/providers/googlechat';
import { formatMattermost, formatMattermostReport } from '../lib/providers/mattermost';
import { digestReport, quietReport } from '../lib/providers/report';
import { formatRocketChat, formatRocketChatReport } from '../lib/providers/rocketchat';
import { formatSlack, formatSlackReport } from '../lib/providers/slack';
import { formatTeams, reportCard } from '../lib/providers/teams';
import { teamsBot } from '../lib/providers/teams-bot';
import { formatWebhook, signature } from '../lib/providers/webhook';
import { digestStats } from '../lib/rollouts/digest';
import { loadRouting } from '../lib/routing/config';
import { fixtures } from './helpers/fixtures';
import {
  adaptiveCardProblems,
  attachmentLimitViolations,
  discordLimitViolations,
  googleChatLimitViolations,
  slackLimitViolations,
} from './helpers/limits';

const TOKEN = 'fuzz-token-0123456789abcdef';
const counts: Record<string, number> = {};
afterAll(() => console.log('fuzz outcomes:', JSON.stringify(counts)));

// Bodies: real events bent out of shape, arbitrary JSON, and plain garbage, sometimes gzipped.
const mutatedEvent = fc
  .tuple(
    fc.constantFrom(...fixtures),
    fc.dictionary(
      fc.constantFrom('name', 'namespace', 'phase', 'checksum', 'metadata', 'extra'),
      fc.jsonValue(),
      { maxKeys: 2 },
    ),
  )
  .map(([e, patch]) => JSON.stringify({ ...e, ...patch }));
const mutatedMetadata = fc
  .tuple(
    fc.constantFrom(...fixtures),
    fc.dictionary(fc.string({ maxLength: 70 }), fc.oneof(fc.string({ maxLength: 3000 }), fc.jsonValue()), {
      maxKeys: 60,
    }),
  )
  .map(([e, extra]) => JSON.stringify({ ...e, metadata: { ...e.metadata, ...extra } }));
const text = fc.oneof(
  fc.constantFrom(...fixtures.map((e) => JSON.stringify(e))),
  mutatedEvent,
  mutatedMetadata,
  fc.json(),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
);
const body = fc
  .tuple(text, fc.boolean())
  .map(([t, gz]) => ({ bytes: gz ? gzipSync(t) : Buffer.from(t), gz }));

// Mostly well-formed envelopes, so that the bodies themselves get exercised; the rest anything.
const often = <T>(good: fc.Arbitrary<T>, any: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: good, weight: 9 }, { arbitrary: any, weight: 1 });
const huge = fc
  .constantFrom(' '.repeat(1_100_000), `{"name":"${'a'.repeat(1_100_000)}"}`)
  .map((t) => ({ bytes: Buffer.from(t), gz: false }));
const request = fc.record({
  method: often(fc.constant('POST'), fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH')),
  contentType: often(
    fc.constantFrom('application/json', 'application/json; charset=utf-8'),
    fc.constantFrom('text/plain', undefined, '', 'application/x-www-form-urlencoded'),
  ),
  encoding: often(fc.constant(undefined), fc.constantFrom('br', 'deflate', 'gzip, br')),
  auth: often(fc.constantFrom(undefined, `Bearer ${TOKEN}`), fc.string({ maxLength: 60 })),
  token: often(fc.constant(TOKEN), fc.oneof(fc.constant(undefined), fc.string({ maxLength: 40 }))),
  body: fc.oneof({ arbitrary: body, weight: 30 }, { arbitrary: huge, weight: 1 }),
});

describe('fuzzing ingest (10,000 generated requests)', () => {
  it('never throws, never answers 5xx, always explains a 4xx in JSON, and never queues an invalid event', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const queued: unknown[] = [];
        const req: IngestRequest = {
          id: 'fuzz',
          method: r.method,
          headers: {
            ...(r.contentType !== undefined ? { 'content-type': r.contentType } : {}),
            ...(r.body.gz
              ? { 'content-encoding': 'gzip' }
              : r.encoding
                ? { 'content-encoding': r.encoding }
                : {}),
            ...(r.auth !== undefined ? { authorization: r.auth } : {}),
          },
          query: r.token !== undefined ? { token: r.token } : {},
          body: r.body.bytes,
        };
        const res = await handleIngest(req, {
          config: {
            tokens: [TOKEN],
            providers: [{ id: 'slack', queueUrl: 'q' }],
            routing: await loadRouting({}, ['slack']),
            sqs: { region: 'x' },
          },
          enqueue: async (_c, e) => {
            queued.push(e);
          },
        });
        counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1;
        expect([202, 400, 401, 405, 413, 415]).toContain(res.statusCode);
        if (res.statusCode === 202) {
          expect(queued).toHaveLength(1);
          expect(parseFlaggerEvent(queued[0]).ok).toBe(true);
        } else {
          expect(queued).toHaveLength(0);
          expect(typeof res.body.error).toBe('string');
          expect(JSON.parse(JSON.stringify(res.body))).toEqual(res.body);
        }
      }),
      { numRuns: 10_000 },
    );
  }, 120_000);
});

// Valid events with hostile, huge or odd content: every payload must stay within limits and inert.
const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/);
const hostile = fc.oneof(
  fc.string({ maxLength: 9000 }),
  fc.constantFrom('<!channel>', '<@U123>', '<https://evil|x>', '[x](https://evil)', '&amp;', '*bold*', '```'),
  fc
    .array(fc.constantFrom('<', '>', '&', '[', ']', '(', ')', '|', '!', '@', ' ', 'é', '💥'), {
      maxLength: 9000,
    })
    .map((a) => a.join('')),
);
const event = fc
  .record({
    name: label,
    namespace: label,
    phase: fc.oneof(fc.constantFrom('', 'Progressing', 'Failed', 'Succeeded'), fc.string({ maxLength: 64 })),
    eventMessage: hostile.map((s) => s.slice(0, 8192)),
    eventType: fc.constantFrom('Normal', 'Warning'),
    timestamp: fc.integer({ min: 0, max: 4_102_444_800_000 }).map(String),
    extra: fc.dictionary(
      fc.string({ minLength: 1, maxLength: 63 }),
      hostile.map((s) => s.slice(0, 2048)),
      { maxKeys: 47 },
    ),
  })
  .map(
    (e): FlaggerEvent => ({
      name: e.name,
      namespace: e.namespace,
      phase: e.phase,
      metadata: { ...e.extra, eventMessage: e.eventMessage, eventType: e.eventType, timestamp: e.timestamp },
    }),
  );

/** Every `<` in Slack text must open one of our own date tokens; anything else came from input. */
const strayAngle = (s: string) =>
  s.replace(/<!date\^\d+\^\{date_short_pretty\} \{time_secs\}\|[^>]*>/g, '').includes('<');

describe('fuzzing formatters', () => {
  it('Slack: 2,000 hostile events stay within every limit with no unescaped < from input', () => {
    fc.assert(
      fc.property(event, (e) => {
        const p = formatSlack(e) as Parameters<typeof slackLimitViolations>[0];
        expect(slackLimitViolations(p)).toEqual([]);
        const texts: string[] = [];
        JSON.stringify(p, (k, v) => {
          if ((k === 'text' || k === 'fallback') && typeof v === 'string') texts.push(v);
          return v;
        });
        for (const t of texts) expect(strayAngle(t), t.slice(0, 200)).toBe(false);
      }),
      { numRuns: 2_000 },
    );
  }, 60_000);

  it('Teams: 1,000 hostile events give valid cards under 28 KB with no markdown link syntax', () => {
    fc.assert(
      fc.property(event, (e) => {
        const p = formatTeams(e);
        const json = JSON.stringify(p);
        expect(Buffer.byteLength(json)).toBeLessThan(28_000);
        expect(json).not.toMatch(/\]\s*\(/);
        expect(
          adaptiveCardProblems((p as { attachments: { content: unknown }[] }).attachments[0]?.content),
        ).toEqual([]);
      }),
      { numRuns: 1_000 },
    );
  }, 60_000);

  it('Teams bot: 1,000 hostile events give valid live cards under 28 KB with no markdown link syntax', () => {
    fc.assert(
      fc.property(event, (e) => {
        const p = teamsBot.preview(e) as { attachments: { content: unknown }[] };
        const json = JSON.stringify(p);
        expect(Buffer.byteLength(json)).toBeLessThan(28_000);
        expect(json).not.toMatch(/\]\s*\(/);
        expect(adaptiveCardProblems(p.attachments[0]?.content)).toEqual([]);
      }),
      { numRuns: 1_000 },
    );
  }, 60_000);

  it('Discord: 1,000 hostile events stay within every embed limit, mentions off, no link syntax', () => {
    fc.assert(
      fc.property(event, (e) => {
        const p = formatDiscord(e) as Parameters<typeof discordLimitViolations>[0];
        expect(discordLimitViolations(p)).toEqual([]);
        expect(p.embeds?.[0]?.description).not.toMatch(/\]\s*\(/);
      }),
      { numRuns: 1_000 },
    );
  }, 60_000);

  it('Google Chat: 1,000 hostile events stay under 32 KB with no raw markup from input', () => {
    fc.assert(
      fc.property(event, (e) => {
        const p = formatGoogleChat(e) as Parameters<typeof googleChatLimitViolations>[0] & { text: string };
        expect(googleChatLimitViolations(p)).toEqual([]);
        expect(p.text).not.toContain('<');
        // Only our own tags in the card: <font>, <b>, <br>.
        expect(JSON.stringify(p.cardsV2).replace(/<\/?(font[^>]*|b|br)>/g, '')).not.toContain('<');
      }),
      { numRuns: 1_000 },
    );
  }, 60_000);

  it('Rocket.Chat and Mattermost: 1,000 hostile events stay within limits with every mention inert', () => {
    fc.assert(
      fc.property(event, (e) => {
        for (const p of [formatRocketChat(e), formatMattermost(e)]) {
          expect(attachmentLimitViolations(p as Parameters<typeof attachmentLimitViolations>[0])).toEqual([]);
          expect(JSON.stringify(p)).not.toMatch(/(^|[^\w])@(all|channel|here)\b/);
        }
      }),
      { numRuns: 1_000 },
    );
  }, 60_000);

  it('generic webhook: 1,000 hostile events round-trip as themselves, signed over the exact bytes', () => {
    fc.assert(
      fc.property(event, (e) => {
        const bytes = JSON.stringify(formatWebhook(e));
        expect(JSON.parse(bytes).event).toEqual(e);
        expect(signature('k'.repeat(16), bytes)).toMatch(/^sha256=[0-9a-f]{64}$/);
      }),
      { numRuns: 1_000 },
    );
  }, 60_000);
});

// Digests and quiet-hours summaries carry event data too: metadata values (a team's name) and
// Flagger's messages, from as many canaries as a fleet has.
const report = fc
  .record({
    teams: fc.array(
      hostile.map((t) => t.slice(0, 100)),
      { maxLength: 40 },
    ),
    held: fc.array(
      hostile.map((t) => t.slice(0, 300)),
      { maxLength: 60 },
    ),
  })
  .map(({ teams, held }) => {
    const H = 3600_000;
    const rows = teams.map((team, i) => ({
      entry: {
        namespace: 'ns',
        name: `svc-${i}`,
        cluster: `c-${i % 3}`,
        meta: { team },
        startedAt: 0,
        history: [{ startedAt: H, endedAt: 2 * H, status: (i % 2 ? 'failed' : 'promoted') as 'failed' }],
      },
    }));
    const digest = digestReport(digestStats(rows, 0, 24 * H), {
      every: 'day',
      key: 'k',
      link: 'https://relay.example/fleet',
    });
    const quiet = quietReport(
      held.map((m, i) => ({
        id: String(i),
        canary: `svc-${i % 7}.ns`,
        kind: 'progress' as const,
        message: m,
        at: i,
      })),
      { from: 0, until: H, when: '07:00 UTC', key: 'q' },
    );
    return [digest, quiet];
  });

describe('fuzzing reports', () => {
  it('digests and summaries of 500 hostile fleets stay within each platform’s limits, mentions and links inert', () => {
    fc.assert(
      fc.property(report, (reports) => {
        for (const r of reports) {
          const slack = formatSlackReport(r) as Parameters<typeof slackLimitViolations>[0];
          expect(slackLimitViolations(slack)).toEqual([]);
          expect(JSON.stringify(slack)).not.toContain('<!channel>');
          const discord = formatDiscordReport(r) as Parameters<typeof discordLimitViolations>[0];
          expect(discordLimitViolations(discord)).toEqual([]);
          expect(discord.embeds?.[0]?.description).not.toMatch(/\]\s*\(/);
          const chat = formatGoogleChatReport(r) as Parameters<typeof googleChatLimitViolations>[0] & {
            text: string;
          };
          expect(googleChatLimitViolations(chat)).toEqual([]);
          expect(JSON.stringify(chat.cardsV2).replace(/<\/?(font[^>]*|b|br)>/g, '')).not.toContain('<');
          const card = reportCard(r);
          expect(Buffer.byteLength(JSON.stringify(card))).toBeLessThan(28_000);
          expect(JSON.stringify(card)).not.toMatch(/\]\s*\(/);
          expect(adaptiveCardProblems(card)).toEqual([]);
          for (const p of [formatRocketChatReport(r), formatMattermostReport(r)]) {
            expect(attachmentLimitViolations(p as Parameters<typeof attachmentLimitViolations>[0])).toEqual(
              [],
            );
            expect(JSON.stringify(p)).not.toMatch(/(^|[^\w])@(all|channel|here)\b/);
          }
        }
      }),
      { numRuns: 500 },
    );
  }, 120_000);
});
