import { RetryableDeliveryError } from '../errors';
import { canaryRef, type FlaggerEvent } from '../event/event';
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

/** Applies the event to its canary's story (once) and returns the story: its rollout names the page. */
export function storyOf(store: StoryStore, event: FlaggerEvent, eventId: string): Promise<Story> {
  return retrying(async () => {
    const got = await store.get(canaryRef(event));
    const { story, archive, changed } = applyEvent(got?.value, event, eventId);
    if (!changed) return story;
    if (archive) {
      // Kept under its own start; already there after a crash between these two writes.
      await store.put(archive, 0, true).catch((err) => {
        if (!(err instanceof RetryableDeliveryError)) throw err;
      });
    }
    await store.put(story, got?.version ?? 0);
    return story;
  });
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
