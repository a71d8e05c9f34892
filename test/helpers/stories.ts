import type { FlaggerEvent } from '../../lib/event/event';
import type { Story, StoryStore } from '../../lib/rollouts/story';
import { storyBatch } from '../../lib/rollouts/story-log';

/** Applies the event to its canary's story (once) and writes it, as a worker's batch would. */
export async function storyOf(store: StoryStore, event: FlaggerEvent, eventId: string): Promise<Story> {
  const batch = storyBatch(store);
  const story = await batch.story(event, eventId);
  const [written] = await batch.flush();
  if (written?.status === 'rejected') throw written.reason;
  return story;
}
