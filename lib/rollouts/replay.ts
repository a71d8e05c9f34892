import { canaryId, canaryKey, canaryRef, type FlaggerEvent } from '../event/event';
import { type Note, type Rollout, reduce } from './tracker';

/** One rollout as a destination would see it after all its events. */
export interface Replayed {
  canary: string;
  namespace: string;
  name: string;
  rollout: Rollout;
  events: FlaggerEvent[];
  milestones: FlaggerEvent[];
  notes: (Note & { rollout: Rollout })[];
}

/**
 * Events (of any canaries, in the order sent) folded into rollouts: what `npm run preview` draws
 * as live messages with their threads, and what `npm run bench` counts per rollout.
 */
export function replay(events: FlaggerEvent[]): Replayed[] {
  const open = new Map<string, Replayed>();
  const done: Replayed[] = [];
  for (const e of events) {
    const id = canaryKey(canaryRef(e));
    const current = open.get(id);
    const step = reduce(current?.rollout, e);
    let r = current;
    if (step.started || !r) {
      if (r) done.push(r);
      r = {
        canary: canaryId(e),
        namespace: e.namespace,
        name: e.name,
        rollout: step.rollout,
        events: [],
        milestones: [],
        notes: [],
      };
      open.set(id, r);
    }
    r.rollout = step.rollout;
    r.events.push(e);
    if (step.milestone) r.milestones.push(e);
    r.notes.push(...step.notes.map((n) => ({ ...n, rollout: step.rollout })));
  }
  return [...done, ...open.values()].sort((a, b) => a.rollout.startedAt - b.rollout.startedAt);
}
