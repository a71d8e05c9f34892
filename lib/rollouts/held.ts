import type { Kind } from '../event/classify';
import type { Versioned } from './state';

/** A message quiet hours held back (docs/routing.md), as its summary will mention it. */
export interface HeldMessage {
  /** The event's identity: a redelivery or resend is held once. */
  id: string;
  /** `podinfo.test`, or `prod-eu · podinfo.test` in a fleet. */
  canary: string;
  kind: Kind;
  /** Flagger's message, plain, cut short. */
  message: string;
  at: number;
}

/** A destination's held messages, until its quiet stretch ends. */
export interface Held {
  items: HeldMessage[];
  /** Messages past HELD_MAX, counted. */
  overflow: number;
  /** When the earliest held message's quiet stretch ends: the summary is due then. */
  until: number;
  /** `07:00 Europe/Berlin`: `until` as the summary says it. */
  when: string;
  /** Being summarised: taken from `items` by the status run that sends them, since `at`. */
  sending?: { items: HeldMessage[]; overflow: number; at: number };
}

export interface HeldStore {
  get(destination: string): Promise<Versioned<Held> | undefined>;
  /** Saves over `version` (0 = new); another writer first → a retryable StateConflictError. */
  put(destination: string, held: Held, version: number): Promise<number>;
}

/** Failures, rollbacks and approvals waiting always go through; the rest waits for the summary. */
const PASS: readonly Kind[] = ['failed', 'rolled-back', 'waiting'];
export const quietHolds = (kind: Kind): boolean => !PASS.includes(kind);

export const HELD_MAX = 500;

/** The held messages with `m` added (once, by identity), due at the earlier of the two ends. */
export function withHeld(
  current: Held | undefined,
  m: HeldMessage,
  end: { until: number; when: string },
): Held | undefined {
  const all = [...(current?.items ?? []), ...(current?.sending?.items ?? [])];
  if (all.some((x) => x.id === m.id)) return undefined;
  const items = current?.items ?? [];
  const full = items.length >= HELD_MAX;
  return {
    items: full ? items : [...items, m],
    overflow: (current?.overflow ?? 0) + (full ? 1 : 0),
    ...(current?.items.length && current.until <= end.until
      ? { until: current.until, when: current.when }
      : { until: end.until, when: end.when }),
    ...(current?.sending ? { sending: current.sending } : {}),
  };
}
