import { describe, expect, it } from 'vitest';
import { canaryKey, canaryRef, type FlaggerEvent } from '../../lib/event/event';
import { eventIdentity } from '../../lib/event/identity';
import { applyEvent, replayed, type Story, storyEvent } from '../../lib/rollouts/story';
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

describe('stories in a fleet', () => {
  it('keeps each cluster’s story of the same canary apart, under its own key, titled with its cluster', async () => {
    const { memoryStories } = await import('../helpers/memory-stores');
    const { storyOf } = await import('../helpers/stories');
    const stories = memoryStories();
    const inCluster = (e: FlaggerEvent, cluster: string): FlaggerEvent => ({
      ...e,
      metadata: { ...e.metadata, cluster },
    });
    const checkout = fixtures.filter((e) => e.name === 'checkout');
    for (const e of checkout) {
      await storyOf(stories, inCluster(e, 'prod-eu'), eventIdentity(inCluster(e, 'prod-eu')));
      // The other cluster is still at its first steps.
      if (checkout.indexOf(e) < 3)
        await storyOf(stories, inCluster(e, 'prod-us'), eventIdentity(inCluster(e, 'prod-us')));
    }
    const eu = (await stories.get({ namespace: 'shop', name: 'checkout', cluster: 'prod-eu' }))?.value;
    const us = (await stories.get({ namespace: 'shop', name: 'checkout', cluster: 'prod-us' }))?.value;
    expect(eu?.cluster).toBe('prod-eu');
    expect(eu?.events).toHaveLength(checkout.length);
    expect(us?.events).toHaveLength(3);
    expect(eu?.rollout.canary).toBe('prod-eu · checkout.shop');
    expect(eu?.rollout.status).toBe('failed');
    expect(us?.rollout.status).not.toBe('failed');
    expect(await stories.get({ namespace: 'shop', name: 'checkout' })).toBeUndefined();
  });
});

describe('a story moved on one event at a time is the story replayed from its events', () => {
  const key = (e: FlaggerEvent) => canaryKey(canaryRef(e));
  it.each([...new Set(fixtures.map(key))])('%s, twice over, with the next rollout', (canary) => {
    const events = fixtures.filter((e) => key(e) === canary);
    // The rollout again an hour later: its start archives the first one.
    const again = events.map((e) => ({
      ...e,
      metadata: { ...e.metadata, timestamp: String(Number(e.metadata.timestamp) + 3_600_000) },
    }));
    let fast: Story | undefined;
    let slow: Story | undefined;
    const archives: [Story | undefined, Story | undefined][] = [];
    for (const e of [...events, ...again]) {
      const id = eventIdentity(e);
      const f = applyEvent(fast, e, id);
      const s = replayed(slow, canaryRef(e), storyEvent(e, id));
      archives.push([f.archive, s.archive]);
      fast = f.story;
      slow = s.story;
      expect(fast).toEqual(slow);
    }
    for (const [f, s] of archives) expect(f).toEqual(s);
  });
});
