import type { FlaggerEvent } from '../event/event';
import { applyOnce } from './journal';
import { type RolloutStore, rolloutKey } from './state';

export interface Gate {
  /** This event is a milestone not yet delivered: send it, then call `done` (or `failed`). */
  send: boolean;
  /** When the event's rollout started (a per-rollout thread key). */
  startedAt: number;
  /** Sent: the event's application and its delivery, saved in one write. */
  done(): Promise<void>;
  /** Not sent: the application saved with the milestone still pending, for the retry. */
  failed(): Promise<void>;
}

/**
 * For a destination that hears only milestones: applies the event to the canary's rollout once
 * (a redelivered record or a byte-identical resend is recognised by its identity) and says
 * whether it is to be sent. One write per event: an event that is no milestone is saved at once;
 * a milestone after it is sent, applied and delivered in one conditional write, or, when the send
 * fails, applied with the milestone pending, so the retry sends it even if the rollout moved on.
 * A crash before either write leaves the stored rollout as it was: the retry decides the same.
 */
export async function milestoneGate(
  store: RolloutStore,
  destination: string,
  event: FlaggerEvent,
  eventId: string,
): Promise<Gate> {
  const journal = await applyOnce(store, rolloutKey(destination, event), eventId, event, (prev, step) => ({
    ...prev,
    rollout: step.rollout,
    pending: step.milestone ? { milestone: eventId } : undefined,
  }));
  const current = journal.record;
  const startedAt = current.rollout.startedAt;
  if (current.pending?.milestone !== eventId) {
    await journal.flush();
    return { send: false, startedAt, done: async () => {}, failed: async () => {} };
  }
  return {
    send: true,
    startedAt,
    done: () => journal.save({ ...current, pending: undefined }),
    failed: () => journal.flush().catch(() => {}),
  };
}
