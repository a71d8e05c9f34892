import { describe, expect, it } from 'vitest';
import { extraMetadata, KNOWN_PHASES, parseFlaggerEvent } from '../../lib/event/event';
import { fixtureName, fixtures } from '../helpers/fixtures';

const valid = {
  name: 'podinfo',
  namespace: 'default',
  phase: 'Progressing',
  metadata: { eventMessage: 'New revision detected!', eventType: 'Normal', timestamp: '1578607635167' },
};

describe('Flagger event schema', () => {
  it.each(fixtures.map((e, i) => [fixtureName(e, i), e] as const))('accepts fixture %s unchanged', (_, e) => {
    const r = parseFlaggerEvent(e);
    expect(r).toEqual({ ok: true, event: e });
  });

  it.each(KNOWN_PHASES)('accepts the phase "%s"', (phase) => {
    expect(parseFlaggerEvent({ ...valid, phase }).ok).toBe(true);
  });

  it('accepts an unknown phase for forward compatibility', () => {
    expect(parseFlaggerEvent({ ...valid, phase: 'Rebalancing' }).ok).toBe(true);
  });

  it('accepts events without checksum (older Flagger) and keeps checksum when present', () => {
    const r = parseFlaggerEvent({ ...valid, checksum: 'abc' });
    expect(r.ok && r.event.checksum).toBe('abc');
    expect(parseFlaggerEvent(valid).ok).toBe(true);
  });

  it('keeps extra metadata keys from a per-canary webhook, sorted for display', () => {
    const r = parseFlaggerEvent({ ...valid, metadata: { ...valid.metadata, team: 'a', cluster: 'prod' } });
    expect(r.ok).toBe(true);
    if (r.ok)
      expect(extraMetadata(r.event)).toEqual([
        ['cluster', 'prod'],
        ['team', 'a'],
      ]);
  });

  it('drops unknown top-level keys instead of carrying them to the queue', () => {
    const r = parseFlaggerEvent({ ...valid, extra: 'x' });
    expect(r.ok && 'extra' in r.event).toBe(false);
  });

  const bad: [string, unknown, string][] = [
    ['a missing name', { ...valid, name: undefined }, 'name:'],
    ['an empty namespace', { ...valid, namespace: '' }, 'namespace:'],
    ['a name over 253 characters', { ...valid, name: 'a'.repeat(254) }, 'name:'],
    ['a numeric phase', { ...valid, phase: 3 }, 'phase:'],
    ['missing metadata', { ...valid, metadata: undefined }, 'metadata:'],
    [
      'a seconds-or-ISO timestamp',
      { ...valid, metadata: { ...valid.metadata, timestamp: '2020-01-01' } },
      'metadata.timestamp: must be Unix epoch milliseconds',
    ],
    [
      'a numeric timestamp',
      { ...valid, metadata: { ...valid.metadata, timestamp: 1578607635167 } },
      'metadata.timestamp:',
    ],
    [
      'an unknown eventType',
      { ...valid, metadata: { ...valid.metadata, eventType: 'Error' } },
      'metadata.eventType:',
    ],
    [
      'a non-string extra metadata value',
      { ...valid, metadata: { ...valid.metadata, team: 1 } },
      'metadata.team:',
    ],
    ['an array body', [valid], '(root):'],
  ];
  it.each(bad)('rejects %s, naming the field', (_, input, field) => {
    const r = parseFlaggerEvent(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toContain(field);
  });
});
