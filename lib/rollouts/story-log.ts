import { RetryableDeliveryError } from '../errors';
import { type CanaryRef, canaryKey, canaryRef, extraMetadata, type FlaggerEvent } from '../event/event';
import { type FleetStore, summarize } from './fleet';
import type { Versioned } from './state';
import {
  addResult,
  applyEvent,
  applyResult,
  type DeliveryResult,
  type Story,
  type StoryStore,
} from './story';

// Two invocations may write one story or results item at once: a conflict is re-read and re-applied.
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

interface Pending {
  ref: CanaryRef;
  read: Promise<Versioned<Story> | undefined>;
  /** The story with this batch's events applied so far, for their page links. */
  working?: Story;
  /** Events this batch's telling copies write into the story, with the providers they went to. */
  events: { event: FlaggerEvent; eventId: string; providers: string[] }[];
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
 * memory (its page link is known before the send), and at the batch's end the story is written
 * once by the worker that tells its events, with its own results; a worker that tells none writes
 * its results in its provider's item for the rollout. So two providers' workers never write the
 * same item, and one destination's story costs one write. A lost race (two invocations of one
 * provider) re-reads and re-applies.
 */
export function storyBatch(store: StoryStore, fleet?: FleetStore) {
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
     * writes it into the story, naming the `providers` it went to; another copy's worker does
     * otherwise.
     */
    async story(
      event: FlaggerEvent,
      eventId: string,
      tells = true,
      providers: string[] = [],
    ): Promise<Story> {
      const c = entry(event);
      const got = await c.read;
      const { story } = applyEvent(c.working ?? got?.value, event, eventId);
      c.working = story;
      if (tells) c.events.push({ event, eventId, providers });
      return story;
    },
    /** What became of the event at a destination, for the rollout it belongs to. */
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
    /** Writes what this batch told and found; one that cannot be written is the caller's warning. */
    flush(): Promise<PromiseSettledResult<void>[]> {
      return Promise.allSettled(
        [...canaries.values()].map(async (c) => {
          const told = c.events.length ? await writeStory(store, c) : { rest: c.results };
          await Promise.all(writeResults(store, c.ref, told.rest));
          // The fleet index moves once per rollout: when the story this batch wrote began one.
          if (fleet && told.started) {
            const meta = Object.fromEntries(c.events.flatMap((e) => extraMetadata(e.event)));
            await fleet.started(c.ref, told.started.startedAt, meta, told.started.ended.map(summarize));
          }
        }),
      );
    },
  };
}

/**
 * The events this worker tells, with its results for the rollouts they belong to (one write, as
 * one destination's story costs); returns the results left for its provider's results items, and
 * the rollout the story now holds when it began with these events (and the ones it ended).
 */
async function writeStory(
  store: StoryStore,
  c: Pending,
): Promise<{ rest: Pending['results']; started?: { startedAt: number; ended: Story[] } }> {
  let fresh = false;
  return retrying(async () => {
    const got = fresh ? await store.get(c.ref) : await c.read;
    fresh = true;
    let story = got?.value;
    const archives: Story[] = [];
    for (const { event, eventId, providers } of c.events) {
      const applied = applyEvent(story, event, eventId);
      if (applied.archive) archives.push(applied.archive);
      story = applied.story;
      const known = story.providers ?? [];
      if (providers.some((p) => !known.includes(p))) {
        story = { ...story, providers: [...new Set([...known, ...providers])] };
      }
    }
    const rest: Pending['results'] = [];
    for (const r of c.results) {
      const i = archives.findIndex((a) => a.rollout.startedAt === r.startedAt);
      if (story && story.rollout.startedAt === r.startedAt)
        story = applyResult(story, r.destination, r.provider, r.eventId, r.result);
      else if (i >= 0)
        archives[i] = applyResult(archives[i] as Story, r.destination, r.provider, r.eventId, r.result);
      else rest.push(r);
    }
    for (const archive of archives) {
      // Kept under its own start; already there after a crash between these writes.
      await store.put(archive, 0, true).catch((err) => {
        if (!(err instanceof RetryableDeliveryError)) throw err;
      });
    }
    if (story && story !== got?.value) await store.put(story, got?.version ?? 0);
    const began = story && story.rollout.startedAt !== got?.value.rollout.startedAt ? story : undefined;
    return { rest, ...(began ? { started: { startedAt: began.rollout.startedAt, ended: archives } } : {}) };
  });
}

/** A provider's results for each rollout, one item apiece: no other provider writes it. */
function writeResults(store: StoryStore, ref: CanaryRef, results: Pending['results']): Promise<void>[] {
  const parts = new Map<string, Pending['results']>();
  for (const r of results) {
    const k = `${r.provider}#${r.startedAt}`;
    parts.set(k, [...(parts.get(k) ?? []), r]);
  }
  return [...parts.values()].map((rs) =>
    retrying(async () => {
      const { provider, startedAt } = rs[0] as Pending['results'][number];
      const got = await store.results(ref, startedAt, provider);
      let next = got?.value ?? {};
      for (const r of rs) next = addResult(next, r.destination, r.provider, r.eventId, r.result);
      if (next !== got?.value) await store.putResults(ref, startedAt, provider, next, got?.version ?? 0);
    }),
  );
}
