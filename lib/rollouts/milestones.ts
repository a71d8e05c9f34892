import type { FlaggerEvent } from '../event/event';
import { applyOnce } from './journal';
import { type RolloutStore, rolloutKey } from './state';

export interface Gate {
  /** This event is a milestone not yet delivered: send it, then call `done`. */
  send: boolean;
  /** When the event's rollout started (a per-rollout thread key). */
  startedAt: number;
  done(): Promise<void>;
}

/**
 * For a destination that hears only milestones: applies the event to the canary's rollout once
 * (a redelivered record or a byte-identical resend is recognised by its identity) and says whether it is to be sent. The
 * decision is stored before sending, so a send that fails is retried as a milestone even though
 * the rollout has already moved on.
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
  if (current.pending?.milestone !== eventId) return { send: false, startedAt, done: async () => {} };
  return { send: true, startedAt, done: () => journal.save({ ...current, pending: undefined }) };
}
