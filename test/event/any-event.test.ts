// Any event the schema accepts must become a message on every provider: an exception in a
// formatter would otherwise dead-letter (or, before, block) a canary's events.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify } from '../../lib/event/classify';
import { type FlaggerEvent, flaggerEventSchema, parseFlaggerEvent } from '../../lib/event/event';
import { PROVIDERS } from '../../lib/providers/catalog';
import { rolloutEmbed } from '../../lib/providers/discord/live';
import { rolloutMessage } from '../../lib/providers/slack-app/message';
import { reduce } from '../../lib/rollouts/tracker';

const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
const MAX_TIME = 8_640_000_000_000_000;
// Any 1 to 16 digits (leading zeros too) and the edges: the schema decides which are events, so a
// timestamp it lets through that no Date can hold fails here.
const timestamp = fc.oneof(
  fc.constantFrom('0', '0000000000000001', String(MAX_TIME), String(MAX_TIME + 1), '9999999999999999'),
  fc.stringMatching(/^\d{1,16}$/),
  fc.bigInt({ min: 0n, max: BigInt(MAX_TIME) }).map(String),
);
const text = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom(
    'New revision detected! Scaling up x.y',
    'Canary failed! Scaling down x.y',
    'Promotion completed! Scaling down x.y',
    'Advance x.y canary weight 999999999999999999999',
    'Advance x.y canary iteration 0/0',
    'Advance x.y primary weight -1',
    'Rolling back x.y failed checks threshold reached 1e400',
    'Halt x.y advancement success rate NaN% < 99%',
    'Halt x.y advancement waiting for approval <!channel>',
  ),
);
const anyEvent: fc.Arbitrary<FlaggerEvent> = fc
  .record({
    name: label,
    namespace: label,
    phase: fc.oneof(fc.constantFrom('', 'Progressing', 'Failed', 'Succeeded'), fc.string({ maxLength: 64 })),
    checksum: fc.option(fc.string({ maxLength: 128 }), { nil: undefined }),
    eventMessage: text,
    eventType: fc.constantFrom('Normal' as const, 'Warning' as const),
    timestamp,
    extra: fc.dictionary(fc.string({ minLength: 1, maxLength: 63 }), text, { maxKeys: 5 }),
  })
  .map(({ extra, checksum, eventMessage, eventType, timestamp: ts, ...e }) => ({
    ...e,
    ...(checksum !== undefined ? { checksum } : {}),
    metadata: { ...extra, eventMessage, eventType, timestamp: ts },
  }))
  // What ingest would have queued: the schema's own output (long values cut).
  .filter((e) => flaggerEventSchema.safeParse(e).success)
  .map((e) => (parseFlaggerEvent(e) as { ok: true; event: FlaggerEvent }).event);

describe('any schema-valid event', () => {
  it.each(PROVIDERS.map((p) => [p.id, p] as const))('formats for %s without throwing', (_, provider) => {
    fc.assert(
      fc.property(anyEvent, (e) => {
        expect(provider.preview(e, 'https://grafana.example/d/x?ns={namespace}&n={name}')).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });

  it('classifies, follows a rollout and draws its live messages without throwing, twice over', () => {
    fc.assert(
      fc.property(fc.array(anyEvent, { minLength: 1, maxLength: 4 }), (events) => {
        let rollout: ReturnType<typeof reduce>['rollout'] | undefined;
        for (const e of events) {
          classify(e);
          rollout = reduce(rollout, { ...e, name: 'same', namespace: 'same' }).rollout;
          rolloutMessage(rollout, { namespace: 'same', name: 'same' });
          rolloutEmbed(rollout, undefined, e);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a timestamp no Date can hold, naming the field (9999999999999999 used to pass)', () => {
    const r = parseFlaggerEvent({
      name: 'podinfo',
      namespace: 'test',
      phase: 'Progressing',
      metadata: { eventMessage: 'x', eventType: 'Normal', timestamp: '9999999999999999' },
    });
    expect(r).toEqual({
      ok: false,
      errors: ['metadata.timestamp: must be at most 8640000000000000 (the latest time a date can hold)'],
    });
  });
});
