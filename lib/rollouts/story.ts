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
  /**
   * The same event again and again (Flagger says "waiting for approval" on every interval): one
   * entry, how often it came and until when, so a long wait keeps the story (and its page) small.
   */
  repeat?: number;
  lastAt?: number;
  /** The repeats' identities, the latest REPEAT_IDS: their results, and a resend recognised. */
  ids?: string[];
}

/** Every identity an entry stands for. */
export const idsOf = (e: StoryEvent): string[] => [e.id, ...(e.ids ?? [])];

/**
 * Same phase, kind, type, revision and words: a repeat, not news (shown once; every copy keeps its
 * identity). A start never is: the same "New revision detected!" later is the next rollout.
 */
const sameAs = (a: StoryEvent, b: StoryEvent) =>
  a.kind !== 'started' &&
  a.phase === b.phase &&
  a.kind === b.kind &&
  a.eventType === b.eventType &&
  a.checksum === b.checksum &&
  a.message === b.message;

/** `b` counted into `a`, which came first. */
function merged(a: StoryEvent, b: StoryEvent): StoryEvent {
  return {
    ...a,
    repeat: (a.repeat ?? 1) + (b.repeat ?? 1),
    lastAt: Math.max(a.lastAt ?? a.at, b.lastAt ?? b.at),
    ids: [...(a.ids ?? []), ...idsOf(b)].slice(-REPEAT_IDS),
  };
}

/** Neighbours that repeat each other, as one entry. */
export function collapse(events: readonly StoryEvent[]): StoryEvent[] {
  const out: StoryEvent[] = [];
  for (const e of events) {
    const last = out.at(-1);
    if (last && sameAs(last, e)) out[out.length - 1] = merged(last, e);
    else out.push(e);
  }
  return out;
}

export type DeliveryState = 'delivered' | 'retrying' | 'dead-lettered' | 'not-sent' | 'held';

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
// 200 entries of at most 1,000 characters, and their results, stay well inside a DynamoDB item's
// 400 KB; a repeat adds no entry.
const MESSAGE_MAX = 1000;
const REPEAT_IDS = 20;
/** Results kept per destination and rollout: every kept entry's, and its latest repeats'. */
export const RESULTS_MAX = 250;
const FINAL: readonly DeliveryState[] = ['delivered', 'dead-lettered', 'held'];

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
  const ids = new Set(events.flatMap(idsOf));
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

/** One event as its story keeps it. */
export function storyEvent(event: FlaggerEvent, eventId: string): StoryEvent {
  return {
    id: eventId,
    at: eventTime(event).getTime(),
    phase: event.phase,
    ...(event.checksum ? { checksum: event.checksum } : {}),
    kind: classify(event).kind,
    eventType: event.metadata.eventType,
    message: plainText(event.metadata.eventMessage, MESSAGE_MAX),
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
  // Every event a worker applies asks this of up to 200 entries: no array built per entry.
  if (current?.events.some((e) => e.id === eventId || e.ids?.includes(eventId)))
    return { story: current, changed: false };
  const e = storyEvent(event, eventId);
  const base = canaryRef(event);
  const last = current?.events.at(-1);
  // In Flagger's order (the usual case): one step of the tracker from the story's rollout, which
  // is what replaying its events would give (they are one rollout, from its start).
  if (current && last && e.at >= last.at) {
    const step = reduce(current.rollout, asEvent(base, e));
    if (!step.started) {
      if (sameAs(last, e)) {
        const events = [...current.events.slice(0, -1), merged(last, e)];
        return { story: storyFrom(base, events, step.rollout, current), changed: true };
      }
      // Past EVENTS_MAX entries an event is counted, not kept, but the rollout still moves on.
      if (current.events.length >= EVENTS_MAX) {
        return {
          story: { ...current, rollout: step.rollout, overflow: current.overflow + 1 },
          changed: true,
        };
      }
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
  const events = collapse([...(current?.events ?? []), e].sort((a, b) => a.at - b.at));
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
    // Each repeat counts as the tracker counts it (events, a failing check's tally).
    for (let k = 1; k < (x.repeat ?? 1); k++)
      rollout = reduce(rollout, asEvent(base, { ...x, at: x.lastAt ?? x.at })).rollout;
  });
  const kept = events.slice(start);
  const story = storyFrom(base, kept.slice(0, EVENTS_MAX), rollout as Rollout, current);
  if (kept.length > EVENTS_MAX) story.overflow += kept.length - EVENTS_MAX;
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
  const kept = { ...d.results, [eventId]: result };
  // A long wait repeats its event on every interval: the oldest results give way, so the item
  // holding them stays bounded (the page shows a repeat's latest result).
  const ids = Object.keys(kept);
  if (ids.length > RESULTS_MAX) {
    ids.sort((a, b) => (kept[a] as DeliveryResult).at - (kept[b] as DeliveryResult).at);
    for (const id of ids.slice(0, ids.length - RESULTS_MAX)) delete kept[id];
  }
  return { ...results, [destination]: { provider, results: kept } };
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
