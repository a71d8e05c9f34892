import { describe, expect, it } from 'vitest';
import { deduplicationId, messageGroupId } from '../../lib/aws/queue';
import type { FlaggerEvent } from '../../lib/event/event';
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
});

describe('deduplication id', () => {
  it('collapses the same event repeated with a new timestamp (Flagger’s per-interval repeats)', () => {
    expect(deduplicationId('slack', later)).toBe(deduplicationId('slack', e));
  });
  it('keeps repeats apart with DEDUP=off, while byte-identical resends still collapse', () => {
    expect(deduplicationId('slack', later, false)).not.toBe(deduplicationId('slack', e, false));
    expect(deduplicationId('slack', e, false)).toBe(deduplicationId('slack', { ...e }, false));
  });
  it.each([
    ['channel', 'teams', e],
    ['phase', 'slack', { ...e, phase: 'Failed' }],
    ['eventType', 'slack', { ...e, metadata: { ...e.metadata, eventType: 'Warning' } }],
    ['eventMessage', 'slack', { ...e, metadata: { ...e.metadata, eventMessage: 'other' } }],
    ['name', 'slack', { ...e, name: 'other' }],
    ['namespace', 'slack', { ...e, namespace: 'other' }],
  ] as const)('differs when the %s differs', (_, channel, other) => {
    expect(deduplicationId(channel, other)).not.toBe(deduplicationId('slack', e));
  });
  it('fits SQS’s 128-character limit', () => {
    expect(deduplicationId('slack', e)).toMatch(/^[0-9a-f]{64}$/);
  });
});
