import type { QueuedEvent } from '../aws/envelope';
import { logger } from '../log';
import { rolloutPath, signedLink } from '../rollouts/links';
import type { DeliveryResult, Story } from '../rollouts/story';
import type { storyBatch } from '../rollouts/story-log';
import type { Rollout } from '../rollouts/tracker';

/** Where rollout pages live and the secret that signs their links (LINK_SECRET, PUBLIC_URL). */
export interface LinkSettings {
  secret: string;
  base: string;
}

/** One record's part in its rollout's story: the page link for its message, and its result. */
export interface StoryPart {
  link?: string;
  /** The rollout the event belongs to, as its story has it (a template's `rollout`). */
  rollout?: Rollout;
  /** Kept for the story's write at the batch's end (`StoryBatch.flush`). */
  record(result: Omit<DeliveryResult, 'at'>): void;
}

export type StoryBatch = ReturnType<typeof storyBatch>;

const NONE: StoryPart = { record: () => {} };

/**
 * The rollout page is the story behind the message, never a reason to hold it: when the state
 * table cannot be read, the message goes out without its link and the result is not recorded (a
 * warning says so), exactly as delivery would have gone without pages.
 */
export async function storyPart(
  stories: StoryBatch | undefined,
  links: LinkSettings | undefined,
  queued: QueuedEvent,
  eventId: string,
  where: { provider: string; destination: string },
): Promise<StoryPart> {
  if (!stories) return NONE;
  const { event } = queued;
  let story: Story;
  try {
    // A copy queued by an earlier version tells, and names no providers: this one's, at least.
    story = await stories.story(event, eventId, queued.tells !== false, queued.providers ?? [where.provider]);
  } catch (err) {
    logger.warn('rollout story unavailable; sending without its page link', {
      ...where,
      error: (err as Error).message,
    });
    return NONE;
  }
  const startedAt = story.rollout.startedAt;
  const path = rolloutPath(story, startedAt);
  return {
    ...(links ? { link: signedLink(links.secret, links.base, path) } : {}),
    rollout: story.rollout,
    record(result) {
      stories.record(event, startedAt, where.destination, where.provider, eventId, {
        ...result,
        at: Date.now(),
      });
    },
  };
}

/** Writes the batch's stories; one that cannot be written is a warning, never a failed delivery. */
export async function writeStories(stories: StoryBatch | undefined, provider: string): Promise<void> {
  for (const r of (await stories?.flush()) ?? []) {
    if (r.status === 'rejected')
      logger.warn('could not record the deliveries on the rollout page', {
        provider,
        error: (r.reason as Error).message,
      });
  }
}
