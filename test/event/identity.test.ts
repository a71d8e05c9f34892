import { describe, expect, it } from 'vitest';
import type { FlaggerEvent } from '../../lib/event/event';
import { eventIdentity } from '../../lib/event/identity';
import { base } from '../helpers/fixtures';

const withMetadata = (metadata: Record<string, string>): FlaggerEvent => ({
  ...base,
  metadata: metadata as FlaggerEvent['metadata'],
});

describe('an event’s identity', () => {
  it('does not depend on the order of the metadata keys, whatever it is', () => {
    const m = base.metadata as Record<string, string>;
    const keys = { ...m, b: '2', a: '1', c: '3' };
    const orders = [{ a: '1', b: '2', c: '3', ...m }, { c: '3', ...m, b: '2', a: '1' }, keys];
    const ids = orders.map((o) => eventIdentity(withMetadata(o)));
    expect(new Set(ids).size).toBe(1);
  });

  it('changes with any metadata value, key, the phase, the checksum or the route', () => {
    const id = eventIdentity(base);
    const m = base.metadata as Record<string, string>;
    expect(eventIdentity(withMetadata({ ...m, team: 'a' }))).not.toBe(id);
    expect(eventIdentity(withMetadata({ ...m, timestamp: `${m.timestamp}1` }))).not.toBe(id);
    expect(eventIdentity({ ...base, phase: 'Failed' })).not.toBe(id);
    expect(eventIdentity({ ...base, checksum: 'other' })).not.toBe(id);
    expect(eventIdentity(base, { route: 'team-a' })).not.toBe(id);
    expect(eventIdentity({ ...base })).toBe(id);
  });
});
