import { describe, expect, it } from 'vitest';
import { deduplicationId, messageGroupId, parseQueuedBody } from '../../lib/aws/queue';
import { InvalidMessageError } from '../../lib/errors';
import type { FlaggerEvent } from '../../lib/event/event';
import { eventIdentity } from '../../lib/event/identity';
import { fixtures } from '../helpers/fixtures';

const e = fixtures[0] as FlaggerEvent;
const later: FlaggerEvent = {
  ...e,
  metadata: { ...e.metadata, timestamp: String(Number(e.metadata.timestamp) + 60_000) },
};

describe('message group', () => {
  it('is destination/namespace/name so one canary’s events to one destination stay in order', () => {
    expect(messageGroupId('slack', e)).toBe('slack/test/podinfo');
  });
  it('differs per destination, so one destination’s failures never hold back another’s', () => {
    expect(messageGroupId('team-a', e)).not.toBe(messageGroupId('team-b', e));
  });
  it('is hashed when it would exceed SQS’s 128 characters', () => {
    const id = messageGroupId('slack', { namespace: 'n'.repeat(60), name: 'x'.repeat(70) });
    expect(id).toMatch(/^h:[0-9a-f]{64}$/);
    expect(id.length).toBeLessThanOrEqual(128);
  });
  it('is kept as it is at exactly 128 characters, hashed at 129', () => {
    // "slack/" + namespace + "/" + name: 6 + 60 + 1 + 61 = 128.
    const at128 = { namespace: 'n'.repeat(60), name: 'x'.repeat(61) };
    expect(messageGroupId('slack', at128)).toBe(`slack/${at128.namespace}/${at128.name}`);
    expect(messageGroupId('slack', { ...at128, name: 'x'.repeat(62) })).toMatch(/^h:[0-9a-f]{64}$/);
  });
});

describe('deduplication id: the event’s identity per destination', () => {
  const id = (ev: FlaggerEvent, route?: string) => eventIdentity(ev, { route });
  it('keeps Flagger’s repeat of a message with a new timestamp apart (a new event, never dropped)', () => {
    expect(deduplicationId('slack', id(later))).not.toBe(deduplicationId('slack', id(e)));
  });
  it('collapses only a byte-identical resend, whatever the order of its metadata keys', () => {
    const reordered: FlaggerEvent = {
      ...e,
      metadata: Object.fromEntries(Object.entries(e.metadata).reverse()) as FlaggerEvent['metadata'],
    };
    expect(deduplicationId('slack', id(reordered))).toBe(deduplicationId('slack', id(e)));
  });
  it.each([
    ['destination', 'teams', e, undefined],
    ['phase', 'slack', { ...e, phase: 'Failed' }, undefined],
    ['checksum (the next rollout, same words)', 'slack', { ...e, checksum: 'other' }, undefined],
    ['timestamp', 'slack', later, undefined],
    ['eventType', 'slack', { ...e, metadata: { ...e.metadata, eventType: 'Warning' } }, undefined],
    ['eventMessage', 'slack', { ...e, metadata: { ...e.metadata, eventMessage: 'other' } }, undefined],
    ['extra metadata', 'slack', { ...e, metadata: { ...e.metadata, team: 'a' } }, undefined],
    ['name', 'slack', { ...e, name: 'other' }, undefined],
    ['namespace', 'slack', { ...e, namespace: 'other' }, undefined],
    ['route', 'slack', e, 'team-a'],
  ] as const)('differs when the %s differs', (_, destination, other, route) => {
    expect(deduplicationId(destination, id(other as FlaggerEvent, route))).not.toBe(
      deduplicationId('slack', id(e)),
    );
  });
  it('fits SQS’s 128-character limit', () => {
    expect(deduplicationId('slack', id(e))).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('the queued envelope, checked again by the worker', () => {
  const envelope = (extra: Record<string, unknown>) =>
    JSON.stringify({ v: 1, receivedAt: new Date(0).toISOString(), event: e, ...extra });

  it('takes the copy that tells the story (providers) and the ones that do not (tells: false)', () => {
    expect(parseQueuedBody(envelope({ providers: ['slack', 'teams'] })).providers).toEqual([
      'slack',
      'teams',
    ]);
    expect(parseQueuedBody(envelope({ tells: false })).tells).toBe(false);
    // The route whose quiet hours apply (docs/fleet.md#quiet-hours).
    expect(parseQueuedBody(envelope({ quiet: 'night' })).quiet).toBe('night');
  });

  it.each([
    ['tells: true', { tells: true }],
    ['providers not a list', { providers: 'slack' }],
    ['a provider name of 65 characters', { providers: ['x'.repeat(65)] }],
    ['65 providers', { providers: Array.from({ length: 65 }, (_, i) => `p${i}`) }],
    ['a quiet route name of 65 characters', { quiet: 'x'.repeat(65) }],
    ['a quiet route that is no name', { quiet: 7 }],
  ])('refuses %s as not an envelope, for the dead-letter queue with its reason', (_, extra) => {
    expect(() => parseQueuedBody(envelope(extra))).toThrow(
      new InvalidMessageError('queue message is not a flagger-notify v1 envelope'),
    );
  });
});
