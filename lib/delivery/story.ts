import type { FlaggerEvent } from '../event/event';
import { logger } from '../log';
import { rolloutPath, signedLink } from '../rollouts/links';
import type { DeliveryResult, Story, StoryStore } from '../rollouts/story';
import { recordResult, storyOf } from '../rollouts/story-log';
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
  record(result: Omit<DeliveryResult, 'at'>): Promise<void>;
}

const NONE: StoryPart = { record: async () => {} };

/**
 * The rollout page is the story behind the message, never a reason to hold it: when the state
 * table cannot be read or written, the message goes out without its link and the result is not
 * recorded (a warning says so), exactly as delivery would have gone without pages.
 */
export async function storyPart(
  stories: StoryStore | undefined,
  links: LinkSettings | undefined,
  event: FlaggerEvent,
  eventId: string,
  where: { provider: string; destination: string },
): Promise<StoryPart> {
  if (!stories) return NONE;
  let story: Story;
  try {
    story = await storyOf(stories, event, eventId);
  } catch (err) {
    logger.warn('rollout story unavailable; sending without its page link', {
      ...where,
      error: (err as Error).message,
    });
    return NONE;
  }
  const path = rolloutPath(story, story.rollout.startedAt);
  return {
    ...(links ? { link: signedLink(links.secret, links.base, path) } : {}),
    rollout: story.rollout,
    async record(result) {
      try {
        await recordResult(stories, story, where.destination, where.provider, eventId, {
          ...result,
          at: Date.now(),
        });
      } catch (err) {
        logger.warn('could not record the delivery on the rollout page', {
          ...where,
          error: (err as Error).message,
        });
      }
    },
  };
}
