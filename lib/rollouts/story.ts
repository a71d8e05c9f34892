import { classify, type Kind } from '../event/classify';
import { type CanaryRef, canaryRef, eventTime, type FlaggerEvent } from '../event/event';
import { plainText } from '../event/text';
import type { Versioned } from './state';
import { type Rollout, reduce } from './tracker';

/** One event of a rollout, as its page shows it. */
export interface StoryEvent {
  id: string;
  at: number;
  phase: string;
  checksum?: string;
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
export interface Story extends CanaryRef {
  rollout: Rollout;
  events: StoryEvent[];
  /** Events past EVENTS_MAX, counted, not kept. */
  overflow: number;
  /**
   * Results written with the story by the worker that tells its events; other providers' are in
   * their own items (StoryStore.results), merged for the page by `withResults`.
   */
  destinations: Results;
  /** The providers the events went to: whose results the page reads. */
  providers?: string[];
}

/** Per destination, what became of each event (by identity). */
export type Results = Record<string, { provider: string; results: Record<string, DeliveryResult> }>;

export interface StoryStore {
  /** The canary's current story, or an archived rollout's (`startedAt`). */
  get(canary: CanaryRef, startedAt?: number): Promise<Versioned<Story> | undefined>;
  /** Saves over `version` (0 = new); another writer first → a retryable error. */
  put(story: Story, version: number, archived?: boolean): Promise<number>;
  /**
   * One provider's results for one rollout, apart from the story: each provider's workers write
   * their own, so two providers never race for one item.
   */
  results(canary: CanaryRef, startedAt: number, provider: string): Promise<Versioned<Results> | undefined>;
  putResults(
    canary: CanaryRef,
    startedAt: number,
    provider: string,
    results: Results,
    version: number,
  ): Promise<number>;
}

/** A rollout's story with every provider's results, as its page shows it. */
export async function withResults(store: StoryStore, story: Story): Promise<Story> {
  const parts = await Promise.all(
    (story.providers ?? []).map((p) => store.results(story, story.rollout.startedAt, p)),
  );
  let out = story;
  for (const part of parts) {
    for (const [name, d] of Object.entries(part?.value ?? {})) {
      for (const [id, r] of Object.entries(d.results)) out = applyResult(out, name, d.provider, id, r);
    }
  }
  return out;
}

export const EVENTS_MAX = 200;
const MESSAGE_MAX = 4000;
const FINAL: readonly DeliveryState[] = ['delivered', 'dead-lettered'];

/** A kept event as the tracker reads it (its message as kept: the tracker reads only its start). */
const asEvent = (s: CanaryRef, e: StoryEvent): FlaggerEvent => ({
  name: s.name,
  namespace: s.namespace,
  phase: e.phase,
  ...(e.checksum ? { checksum: e.checksum } : {}),
  metadata: {
    eventMessage: e.message,
    eventType: e.eventType as 'Normal' | 'Warning',
    timestamp: String(e.at),
    ...(s.cluster ? { cluster: s.cluster } : {}),
  },
});

/** One rollout's story: its events, the rollout they came to, and the results `from` had for them. */
function storyFrom(base: CanaryRef, events: StoryEvent[], rollout: Rollout, from?: Story): Story {
  const ids = new Set(events.map((e) => e.id));
  const destinations: Story['destinations'] = {};
  for (const [name, d] of Object.entries(from?.destinations ?? {})) {
    const results = Object.fromEntries(Object.entries(d.results).filter(([id]) => ids.has(id)));
    if (Object.keys(results).length) destinations[name] = { provider: d.provider, results };
  }
  return {
    namespace: base.namespace,
    name: base.name,
    ...(base.cluster ? { cluster: base.cluster } : {}),
    rollout,
    events,
    overflow: from?.overflow ?? 0,
    destinations,
    ...(from?.providers ? { providers: from.providers } : {}),
  };
}

/**
 * The event applied to the canary's current story, at most once (the story keeps its event ids).
 * Several providers' workers feed one story, each in its own order, so the story keeps its events
 * in Flagger's order (by timestamp) and replays them through the tracker: the rollout it shows
 * does not depend on which worker came first. When the events now hold the start of a new
 * rollout, the earlier one is returned as `archive` and the story continues with the new one.
 */
export function applyEvent(
  current: Story | undefined,
  event: FlaggerEvent,
  eventId: string,
): { story: Story; archive?: Story; changed: boolean } {
  if (current?.events.some((e) => e.id === eventId)) return { story: current, changed: false };
  const kind = classify(event).kind;
  if (current && current.events.length >= EVENTS_MAX && kind !== 'started') {
    return { story: { ...current, overflow: current.overflow + 1 }, changed: true };
  }
  const e: StoryEvent = {
    id: eventId,
    at: eventTime(event).getTime(),
    phase: event.phase,
    ...(event.checksum ? { checksum: event.checksum } : {}),
    kind,
    eventType: event.metadata.eventType,
    message: plainText(event.metadata.eventMessage, MESSAGE_MAX),
  };
  const base = canaryRef(event);
  const last = current?.events.at(-1);
  // In Flagger's order (the usual case): one step of the tracker from the story's rollout, which
  // is what replaying its events would give (they are one rollout, from its start).
  if (current && last && e.at >= last.at) {
    const step = reduce(current.rollout, asEvent(base, e));
    if (!step.started) {
      return { story: storyFrom(base, [...current.events, e], step.rollout, current), changed: true };
    }
    return {
      story: storyFrom(base, [e], step.rollout, current),
      archive: storyFrom(base, current.events, current.rollout, current),
      changed: true,
    };
  }
  return { ...replayed(current, base, e), changed: true };
}

/**
 * An event that arrives out of order (another provider's worker was first with a later one) goes
 * in by its time, and the story's events are replayed through the tracker.
 */
export function replayed(
  current: Story | undefined,
  base: CanaryRef,
  e: StoryEvent,
): { story: Story; archive?: Story } {
  // Stable: events of the same millisecond keep their arrival order.
  const events = [...(current?.events ?? []), e].sort((a, b) => a.at - b.at);
  // One replay: where the last rollout in these events starts, the rollout the events before it
  // came to, and the last rollout's state (the tracker starts afresh at a start).
  let rollout: Rollout | undefined;
  let before: Rollout | undefined;
  let start = 0;
  events.forEach((x, i) => {
    const step = reduce(rollout, asEvent(base, x));
    if (step.started && i > 0) {
      start = i;
      before = rollout;
    }
    rollout = step.rollout;
  });
  const story = storyFrom(base, events.slice(start), rollout as Rollout, current);
  if (start === 0 || !current) return { story };
  return { story, archive: storyFrom(base, events.slice(0, start), before as Rollout, current) };
}

/** A destination's result for one event; a final one (delivered, dead-lettered) is never undone. */
export function addResult(
  results: Results,
  destination: string,
  provider: string,
  eventId: string,
  result: DeliveryResult,
): Results {
  const d = results[destination] ?? { provider, results: {} };
  const known = d.results[eventId];
  if (known && FINAL.includes(known.state) && !FINAL.includes(result.state)) return results;
  return { ...results, [destination]: { provider, results: { ...d.results, [eventId]: result } } };
}

/** The same, on results kept in the story itself. */
export function applyResult(
  story: Story,
  destination: string,
  provider: string,
  eventId: string,
  result: DeliveryResult,
): Story {
  const destinations = addResult(story.destinations, destination, provider, eventId, result);
  return destinations === story.destinations ? story : { ...story, destinations };
}
