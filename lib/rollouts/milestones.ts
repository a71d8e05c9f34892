import type { FlaggerEvent } from '../event/event';
import { type RolloutStore, rolloutKey } from './state';
import { reduce } from './tracker';

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
  const key = rolloutKey(destination, event);
  const got = await store.get(key);
  let record = got?.value;
  let version = got?.version ?? 0;
  if (!record?.applied.includes(eventId)) {
    const step = reduce(record?.rollout, event);
    record = {
      ...record,
      rollout: step.rollout,
      applied: [...(record?.applied ?? []), eventId],
      pending: step.milestone ? { milestone: eventId } : undefined,
    };
    version = await store.put(key, record, version);
  }
  const current = record;
  const startedAt = current.rollout.startedAt;
  if (current.pending?.milestone !== eventId) return { send: false, startedAt, done: async () => {} };
  return {
    send: true,
    startedAt,
    done: async () => {
      await store.put(key, { ...current, pending: undefined }, version);
    },
  };
}
