import type { FlaggerEvent } from '../event/event';
import type { AlertState, RolloutRecord, RolloutStore } from './state';
import { reduce, type Step } from './tracker';

/** One canary's rollout at one destination, as stored, and the one way to move it on. */
export interface Journal {
  /** The record as last read or saved. */
  readonly record: RolloutRecord;
  /** Saves `next` over the version last read or saved; another writer first → a retryable error. */
  save(next: RolloutRecord): Promise<void>;
}

/**
 * Milestones, live messages and Alertmanager all follow a rollout the same way: apply the event
 * to the stored rollout at most once (its identity is remembered in `applied`, so a redelivery or
 * a byte-identical resend is not applied twice), with `plan` turning the previous record and the
 * reducer's step into the next one, pending work included; save that before anything is sent;
 * then work off the pending work, saving after each step, so a crash repeats at most the step it
 * interrupted.
 */
export async function applyOnce(
  store: RolloutStore,
  key: string,
  eventId: string,
  event: FlaggerEvent,
  plan: (prev: RolloutRecord | undefined, step: Step) => Omit<RolloutRecord, 'applied'>,
): Promise<Journal> {
  const got = await store.get(key);
  let current = got?.value;
  let version = got?.version ?? 0;
  if (!current?.applied.includes(eventId)) {
    const next: RolloutRecord = {
      ...plan(current, reduce(current?.rollout, event)),
      applied: [...(current?.applied ?? []), eventId],
    };
    version = await store.put(key, next, version);
    current = next;
  }
  let record = current;
  return {
    get record() {
      return record;
    },
    async save(next) {
      version = await store.put(key, next, version);
      record = next;
    },
  };
}

/**
 * The lifecycle of a failure notice (an Alertmanager alert, a PagerDuty incident): opened when the
 * rollout fails, closed when the next rollout starts or it stops being failed (as Flagger's gauge
 * leaves 2). What is to be sent waits in `pending.alerts`, in order, until it is sent.
 */
export function failureNotice(
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
