import { RetryableDeliveryError } from '../errors';
import { type CanaryRef, canaryKey, canaryRef, type FlaggerEvent } from '../event/event';
import type { Versioned } from './state';
import { applyEvent, applyResult, type DeliveryResult, type Story, type StoryStore } from './story';

// Several providers' workers write one canary's story at once: a conflict is re-read and re-applied.
const TRIES = 12;
const pause = (i: number) => new Promise((r) => setTimeout(r, Math.random() * 15 * i));

/** Runs a read-apply-write again, after a short jittered pause, while it fails retryably. */
export async function retrying<T>(fn: () => Promise<T>, tries = TRIES): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof RetryableDeliveryError) || i >= tries) throw err;
      await pause(i);
    }
  }
}

/** Applies the event to its canary's story (once), writes it, and returns the story. */
export async function storyOf(store: StoryStore, event: FlaggerEvent, eventId: string): Promise<Story> {
  const batch = storyBatch(store);
  const story = await batch.story(event, eventId);
  const [written] = await batch.flush();
  if (written?.status === 'rejected') throw written.reason;
  return story;
}

/** What became of the event at one destination, on its rollout's story (current or archived). */
export function recordResult(
  store: StoryStore,
  story: Pick<Story, 'namespace' | 'name' | 'cluster' | 'rollout'>,
  destination: string,
  provider: string,
  eventId: string,
  result: DeliveryResult,
): Promise<void> {
  const startedAt = story.rollout.startedAt;
  return retrying(async () => {
    let got = await store.get(story);
    let archived = false;
    if (got && got.value.rollout.startedAt !== startedAt) {
      got = await store.get(story, startedAt);
      archived = true;
    }
    if (!got) return;
    const next = applyResult(got.value, destination, provider, eventId, result);
    if (next !== got.value) await store.put(next, got.version, archived);
  });
}

interface Pending {
  ref: CanaryRef;
  read: Promise<Versioned<Story> | undefined>;
  /** The story with this batch's events applied so far, for their page links. */
  working?: Story;
  /** Events this batch writes into the story (its own copies that tell it, or have a result). */
  events: { event: FlaggerEvent; eventId: string; tells: boolean }[];
  results: {
    destination: string;
    provider: string;
    eventId: string;
    startedAt: number;
    result: DeliveryResult;
  }[];
}

/**
 * A batch's part in its canaries' stories: each story is read once, each record's event applied in
 * memory (its page link is known before the send), and at the batch's end each story is written
 * once with every event and every destination's result: one conditional write per canary and
 * batch instead of one for the event and one per result. A lost race re-reads and re-applies.
 */
export function storyBatch(store: StoryStore) {
  const canaries = new Map<string, Pending>();
  const entry = (event: FlaggerEvent) => {
    const ref = canaryRef(event);
    const key = canaryKey(ref);
    let c = canaries.get(key);
    if (!c) {
      c = { ref, read: store.get(ref), events: [], results: [] };
      // A failed read is the caller's to see; the canary is read again by the next record.
      c.read.catch(() => canaries.delete(key));
      canaries.set(key, c);
    }
    return c;
  };
  return {
    /**
     * The event's story, with the event applied (not yet written). `tells`: this copy of the event
     * writes it into the story; another copy's worker does otherwise, unless this one has a result.
     */
    async story(event: FlaggerEvent, eventId: string, tells = true): Promise<Story> {
      const c = entry(event);
      const got = await c.read;
      const { story } = applyEvent(c.working ?? got?.value, event, eventId);
      c.working = story;
      c.events.push({ event, eventId, tells });
      return story;
    },
    /** What became of the event at a destination, for the story its rollout started. */
    record(
      event: FlaggerEvent,
      startedAt: number,
      destination: string,
      provider: string,
      eventId: string,
      result: DeliveryResult,
    ) {
      entry(event).results.push({ destination, provider, eventId, startedAt, result });
    },
    /** Writes every story this batch touched; a story that cannot be written is the caller's warning. */
    flush(): Promise<PromiseSettledResult<void>[]> {
      return Promise.allSettled([...canaries.values()].map((c) => writeStory(store, c)));
    },
  };
}

async function writeStory(store: StoryStore, c: Pending): Promise<void> {
  let fresh = false;
  await retrying(async () => {
    const got = fresh ? await store.get(c.ref) : await c.read;
    fresh = true;
    let story = got?.value;
    const archives: Story[] = [];
    const results = new Set(c.results.map((r) => r.eventId));
    for (const { event, eventId, tells } of c.events) {
      if (!tells && !results.has(eventId)) continue;
      const applied = applyEvent(story, event, eventId);
      if (applied.archive) archives.push(applied.archive);
      story = applied.story;
    }
    const elsewhere: Pending['results'] = [];
    for (const r of c.results) {
      const i = archives.findIndex((a) => a.rollout.startedAt === r.startedAt);
      if (story && story.rollout.startedAt === r.startedAt)
        story = applyResult(story, r.destination, r.provider, r.eventId, r.result);
      else if (i >= 0)
        archives[i] = applyResult(archives[i] as Story, r.destination, r.provider, r.eventId, r.result);
      else elsewhere.push(r);
    }
    for (const archive of archives) {
      // Kept under its own start; already there after a crash between these writes.
      await store.put(archive, 0, true).catch((err) => {
        if (!(err instanceof RetryableDeliveryError)) throw err;
      });
    }
    if (story && story !== got?.value) await store.put(story, got?.version ?? 0);
    // A result for a rollout archived before this batch: on its archived story.
    for (const r of elsewhere)
      await recordResult(
        store,
        { ...c.ref, rollout: { startedAt: r.startedAt } as Story['rollout'] },
        r.destination,
        r.provider,
        r.eventId,
        r.result,
      );
  });
}
