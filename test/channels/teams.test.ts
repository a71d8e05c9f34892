import { describe, expect, it } from 'vitest';
import { formatTeams } from '../../lib/channels/teams';
import type { FlaggerEvent } from '../../lib/event';
import { fixtureName, fixtures } from '../helpers/fixtures';
import { expectGolden } from '../helpers/golden';

type Card = {
  version: string;
  body: { type: string; text?: string; facts?: { title: string; value: string }[] }[];
};
const cardOf = (p: unknown) => (p as { attachments: { content: Card }[] }).attachments[0]?.content as Card;
const base = fixtures[0] as FlaggerEvent;

describe('Teams message', () => {
  it.each(fixtures.map((e, i) => [fixtureName(e, i), e] as const))(
    'matches the golden payload for %s',
    (name, e) => {
      expectGolden(`teams/${name}`, formatTeams(e));
    },
  );

  it('wraps an Adaptive Card 1.4 in the Workflows envelope', () => {
    const p = formatTeams(base) as Record<string, unknown>;
    expect(p).toMatchObject({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            msteams: { width: 'Full' },
          },
        },
      ],
    });
  });

  it('shows the canary, message and a fact set with phase, event type, time and extra metadata', () => {
    const e: FlaggerEvent = { ...base, metadata: { ...base.metadata, team: 'a', cluster: 'prod' } };
    const card = cardOf(formatTeams(e));
    expect(card.body[0]?.text).toBe('podinfo.test');
    expect(card.body[1]?.text).toBe(base.metadata.eventMessage);
    expect(card.body[2]?.facts).toEqual([
      { title: 'Canary', value: 'podinfo.test' },
      { title: 'Phase', value: 'Progressing' },
      { title: 'Event type', value: 'Normal' },
      { title: 'Time', value: '2025-11-26T00:00:00.000Z' },
      { title: 'cluster', value: 'prod' },
      { title: 'team', value: 'a' },
    ]);
  });

  it('keeps a card with a 20,000-character message and 40 extra keys under 28 KB', () => {
    const extra = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key${i}`, 'v'.repeat(1000)]));
    const e: FlaggerEvent = {
      ...base,
      metadata: { ...base.metadata, ...extra, eventMessage: 'm'.repeat(20_000) },
    };
    const payload = formatTeams(e);
    expect(Buffer.byteLength(JSON.stringify(payload))).toBeLessThan(28_000);
    expect(cardOf(payload).body[2]?.facts?.at(-1)).toEqual({ title: '…', value: '16 more metadata keys' });
  });
});
