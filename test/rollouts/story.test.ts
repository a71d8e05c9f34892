import { describe, expect, it } from 'vitest';
import type { FlaggerEvent } from '../../lib/event/event';
import { eventIdentity } from '../../lib/event/identity';
import { applyEvent, type Story } from '../../lib/rollouts/story';
import { fixtures } from '../helpers/fixtures';

const play = (events: FlaggerEvent[]) => {
  let story: Story | undefined;
  const archived: Story[] = [];
  for (const e of events) {
    const r = applyEvent(story, e, eventIdentity(e));
    if (r.archive) archived.push(r.archive);
    story = r.story;
  }
  return { story: story as Story, archived };
};

describe('a canary’s story, fed by several providers’ workers in their own orders', () => {
  it.each([
    ['frontend', 'web'],
    ['checkout', 'shop'],
    ['podinfo', 'test'],
  ])('%s: the same rollout whatever order its events arrive in', (name) => {
    const events = fixtures.filter((e) => e.name === name);
    const inOrder = play(events).story;
    // One worker ahead of another: pairs swapped, and everything reversed.
    const swapped = events.map(
      (_, i) => events[i % 2 ? i - 1 : Math.min(i + 1, events.length - 1)] as FlaggerEvent,
    );
    for (const order of [[...events].reverse(), [...new Set(swapped), ...events]]) {
      const s = play(order).story;
      expect(s.rollout).toEqual(inOrder.rollout);
      expect(s.events.map((e) => e.id)).toEqual(inOrder.events.map((e) => e.id));
    }
  });

  it('archives the previous rollout when the next one starts, each with its own events', () => {
    const first = fixtures.filter((e) => e.name === 'checkout');
    const next = first.map((e) => ({
      ...e,
      metadata: { ...e.metadata, timestamp: String(Number(e.metadata.timestamp) + 3_600_000) },
    }));
    const { story, archived } = play([...first, ...next]);
    expect(archived).toHaveLength(1);
    expect(archived[0]?.events).toHaveLength(first.length);
    expect(story.events).toHaveLength(next.length);
    expect(story.rollout.startedAt).toBe(Number(next[0]?.metadata.timestamp));
  });

  it('applies an event once, however often it comes back', () => {
    const [e] = fixtures;
    const once = play([e as FlaggerEvent]).story;
    expect(applyEvent(once, e as FlaggerEvent, eventIdentity(e as FlaggerEvent)).changed).toBe(false);
  });
});
