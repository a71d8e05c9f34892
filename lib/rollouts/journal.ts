import type { FlaggerEvent } from '../event/event';
import type { AlertState, RolloutRecord, RolloutStore } from './state';
import { reduce, type Step } from './tracker';

/** One canary's rollout at one destination, as stored, and the one way to move it on. */
export interface Journal {
  /** The record with this event applied (saved or not yet). */
  readonly record: RolloutRecord;
  /** Saves `next` over the version last read or saved; another writer first → a retryable error. */
  save(next: RolloutRecord): Promise<void>;
  /** Saves the record as it stands if it holds anything not saved yet. */
  flush(): Promise<void>;
  /** Takes `next` as the record without saving it: the next save or flush carries it. */
  stage(next: RolloutRecord): void;
}

/**
 * Milestones, live messages and Alertmanager all follow a rollout the same way: apply the event
 * to the stored rollout at most once (its identity is remembered in `applied`, so a redelivery or
 * a byte-identical resend is not applied twice), with `plan` turning the previous record and the
 * reducer's step into the next one, pending work included; then work off the pending work, saving
 * after each step, so a crash repeats at most the step it interrupted.
 *
 * The application itself is saved with the first step's save, one conditional write for both:
 * until then nothing is stored, and a crash before it leaves the record as it was, so the retry
 * plans the same work again from the same state (the reducer is deterministic). `flush` saves it
 * where no step saved (nothing to do, or work that failed and is left for the retry).
 */
export async function applyOnce(
  store: RolloutStore,
  key: string,
  eventId: string,
  event: FlaggerEvent,
  plan: (prev: RolloutRecord | undefined, step: Step) => Omit<RolloutRecord, 'applied'>,
): Promise<Journal> {
  const got = await store.get(key);
  let record = got?.value as RolloutRecord;
  let version = got?.version ?? 0;
  let unsaved = !record?.applied.includes(eventId);
  if (unsaved) {
    record = {
      ...plan(record, reduce(record?.rollout, event)),
      applied: [...(record?.applied ?? []), eventId],
    };
  }
  const save = async (next: RolloutRecord) => {
    version = await store.put(key, next, version);
    record = next;
    unsaved = false;
  };
  return {
    get record() {
      return record;
    },
    save,
    flush: () => (unsaved ? save(record) : Promise.resolve()),
    stage(next) {
      record = next;
      unsaved = true;
    },
  };
}

/**
 * Runs `work` on the journal of this event and flushes it after: on success what was applied is
 * saved (when no step saved it), and on failure too, as the retry's starting point (the pending
 * work still to do), or a dead-lettered event's mark on its rollout. A flush that fails after a
 * failure changes nothing: the retry plans again from what is stored.
 */
export async function journaled<T>(
  store: RolloutStore,
  key: string,
  eventId: string,
  event: FlaggerEvent,
  plan: (prev: RolloutRecord | undefined, step: Step) => Omit<RolloutRecord, 'applied'>,
  work: (journal: Journal) => Promise<T>,
): Promise<T> {
  const journal = await applyOnce(store, key, eventId, event, plan);
  try {
    const out = await work(journal);
    await journal.flush();
    return out;
  } catch (err) {
    await journal.flush().catch(() => {});
    throw err;
  }
}

/**
 * The lifecycle of a failure notice (an Alertmanager alert, a PagerDuty incident): opened when the
 * rollout fails, closed when the next rollout starts or it stops being failed (as Flagger's gauge
 * leaves 2). What is to be sent waits in `pending.alerts`, in order, until it is sent.
 */
function failureNotice(
  prev: RolloutRecord | undefined,
  step: Step,
  open: () => AlertState,
): Omit<RolloutRecord, 'applied'> {
  const alerts: (AlertState & { resolved: boolean })[] = [...(prev?.pending?.alerts ?? [])];
  let alert = prev?.alert;
  if (alert && (step.started || step.rollout.status !== 'failed')) {
    alerts.push({ ...alert, resolved: true });
    alert = undefined;
  }
  if (step.rollout.status === 'failed' && !alert) {
    alert = open();
    alerts.push({ ...alert, resolved: false });
  }
  return {
    rollout: step.rollout,
    ...(alert ? { alert } : {}),
    ...(alerts.length ? { pending: { alerts } } : {}),
  };
}

/**
 * A failure notice's pending alerts for this event (an incident opened, or the last one closed),
 * sent once and then cleared in the same save that applies the event. Returns how many were sent.
 */
export function sendNoticesOnce(
  store: RolloutStore,
  key: string,
  eventId: string,
  event: FlaggerEvent,
  open: (step: Step) => AlertState,
  send: (pending: (AlertState & { resolved: boolean })[]) => Promise<void>,
): Promise<number> {
  return journaled(
    store,
    key,
    eventId,
    event,
    (prev, step) => failureNotice(prev, step, () => open(step)),
    async (journal) => {
      const pending = journal.record.pending?.alerts ?? [];
      if (!pending.length) return 0;
      await send(pending);
      await journal.save({ ...journal.record, pending: undefined });
      return pending.length;
    },
  );
}
