import { classify, type Kind } from '../event/classify';
import { eventTime, type FlaggerEvent } from '../event/event';
import { plainText } from '../event/text';
import type { Versioned } from './state';
import { type Rollout, reduce } from './tracker';

/** One event of a rollout, as its page shows it. */
export interface StoryEvent {
  id: string;
  at: number;
  phase: string;
  kind: Kind;
  eventType: string;
  /** Flagger's message, HTML stripped, up to MESSAGE_MAX characters. */
  message: string;
}

export type DeliveryState = 'delivered' | 'retrying' | 'dead-lettered' | 'not-sent';

/** What became of one event at one destination, latest attempt first. */
export interface DeliveryResult {
  state: DeliveryState;
  at: number;
  status?: number;
  attempts?: number;
  /** When the next attempt is due (retrying). */
  nextTryAt?: number;
  /** The platform's answer or the reason (dead-lettered, retrying, not sent). */
  detail?: string;
  /** What the destination was sent, in a line. */
  sent?: string;
}

/** A canary's rollout from the relay's side: every event, and per destination what happened. */
export interface Story {
  namespace: string;
  name: string;
  rollout: Rollout;
  events: StoryEvent[];
  /** Events past EVENTS_MAX, counted, not kept. */
  overflow: number;
  destinations: Record<string, { provider: string; results: Record<string, DeliveryResult> }>;
}

export interface StoryStore {
  /** The canary's current story, or an archived rollout's (`startedAt`). */
  get(namespace: string, name: string, startedAt?: number): Promise<Versioned<Story> | undefined>;
  /** Saves over `version` (0 = new); another writer first → a retryable error. */
  put(story: Story, version: number, archived?: boolean): Promise<number>;
}

export const EVENTS_MAX = 200;
const MESSAGE_MAX = 4000;
const FINAL: readonly DeliveryState[] = ['delivered', 'dead-lettered'];

/**
 * The event applied to the canary's current story, at most once (the story keeps its event ids).
 * When it starts a new rollout, the current story is returned as `archive` and a new one begins.
 */
export function applyEvent(
  current: Story | undefined,
  event: FlaggerEvent,
  eventId: string,
): { story: Story; archive?: Story; changed: boolean } {
  if (current?.events.some((e) => e.id === eventId)) return { story: current, changed: false };
  const step = reduce(current?.rollout, event);
  const base: Story =
    step.started || !current
      ? {
          namespace: event.namespace,
          name: event.name,
          rollout: step.rollout,
          events: [],
          overflow: 0,
          destinations: {},
        }
      : { ...current, rollout: step.rollout };
  const e: StoryEvent = {
    id: eventId,
    at: eventTime(event).getTime(),
    phase: event.phase,
    kind: classify(event).kind,
    eventType: event.metadata.eventType,
    message: plainText(event.metadata.eventMessage, MESSAGE_MAX),
  };
  const story =
    base.events.length < EVENTS_MAX
      ? { ...base, events: [...base.events, e] }
      : { ...base, overflow: base.overflow + 1 };
  return { story, ...(step.started && current ? { archive: current } : {}), changed: true };
}

/** A destination's result for one event; a final one (delivered, dead-lettered) is never undone. */
export function applyResult(
  story: Story,
  destination: string,
  provider: string,
  eventId: string,
  result: DeliveryResult,
): Story {
  const d = story.destinations[destination] ?? { provider, results: {} };
  const known = d.results[eventId];
  if (known && FINAL.includes(known.state) && !FINAL.includes(result.state)) return story;
  return {
    ...story,
    destinations: {
      ...story.destinations,
      [destination]: { provider, results: { ...d.results, [eventId]: result } },
    },
  };
}
