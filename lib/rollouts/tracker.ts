import { classify, type Kind } from '../event/classify';
import { canaryId, eventTime, type FlaggerEvent } from '../event/event';
import { plainText } from '../event/text';

export type RolloutStatus = 'initializing' | 'progressing' | 'waiting' | 'promoted' | 'failed' | 'terminated';

const ENDED: readonly RolloutStatus[] = ['promoted', 'failed', 'terminated'];
export const isEnded = (r: Pick<Rollout, 'status'>) => ENDED.includes(r.status);

/** A failing check, counted: Flagger repeats the same halt every analysis interval. */
export interface Check {
  /** What failed: the metric's name, else the message. */
  name: string;
  last: string;
  count: number;
}

/** An approval gate the rollout waited at (`Halt … waiting for approval <webhook>`). */
export interface Gate {
  name: string;
  passed: boolean;
}

/** What a destination knows of one canary's current rollout. */
export interface Rollout {
  canary: string;
  /** The new revision's checksum; the first event carries the *previous* one, so it is learnt later. */
  revision?: string;
  status: RolloutStatus;
  startedAt: number;
  updatedAt: number;
  endedAt?: number;
  weight?: number;
  iteration?: { n: number; of: number };
  primaryWeight?: number;
  passed: string[];
  failed: Check[];
  /** Flagger's own count from "failed checks threshold reached N". */
  failedChecks?: number;
  gates: Gate[];
  /** Why it ended, when it failed or was terminated. */
  reason?: string;
  lastMessage: string;
  lastKind: Kind;
  events: number;
}

/** A line of its own, under the rollout message (a thread reply) or as a milestone. */
export interface Note {
  kind: 'check' | 'gate' | 'outcome';
  text: string;
  /** Worth showing in the channel too (a failure). */
  broadcast: boolean;
}

export interface Step {
  rollout: Rollout;
  /** The event began a rollout: a new rollout message. */
  started: boolean;
  /** Worth a message of its own where only milestones are sent. */
  milestone: boolean;
  notes: Note[];
}

const newRollout = (e: FlaggerEvent, at: number): Rollout => ({
  canary: canaryId(e),
  status: 'progressing',
  startedAt: at,
  updatedAt: at,
  passed: [],
  failed: [],
  gates: [],
  lastMessage: '',
  lastKind: 'other',
  events: 0,
});

// After an outcome, these say the analysis runs again: a rollout whose "New revision detected" we
// never saw (filtered, or lost upstream). Outcome echoes ("Rolling back" after "Canary failed!"),
// a later termination and interval noise ("skipping canary run …", "Rollback hook … not
// signaling a rollback") stay with the ended rollout.
const RUNS_AGAIN: readonly Kind[] = ['progress', 'waiting', 'check-failed', 'initialized'];
const runsAgain = (kind: Kind, message: string) =>
  RUNS_AGAIN.includes(kind) && !/^Rollback hook /.test(message);

/**
 * Does this event belong to a new rollout? A "New revision detected" always starts one, whatever
 * its checksum and however soon after the last; so does the first sign of analysis after an
 * outcome, an event whose checksum differs from a revision already learnt (a start we never saw),
 * and any event after initialization. Checksums are compared only once learnt from a later event,
 * because the first event of a rollout still carries the previous revision's.
 */
function startsNew(prev: Rollout | undefined, e: FlaggerEvent, kind: Kind): boolean {
  if (!prev) return true;
  if (kind === 'started') return true;
  if (prev.status === 'initializing') return kind !== 'initialized';
  if (isEnded(prev) && runsAgain(kind, e.metadata.eventMessage)) return true;
  return Boolean(prev.revision && e.checksum && e.checksum !== prev.revision);
}

/**
 * The pure heart of "rollouts, not events": one event applied to what a destination knew of the
 * canary's rollout, and what deserves saying. Deterministic: the same state and event always
 * give the same step, so a redelivered record cannot fork a rollout once its state is stored.
 */
export function reduce(prev: Rollout | undefined, e: FlaggerEvent): Step {
  const c = classify(e);
  const at = eventTime(e).getTime();
  const started = startsNew(prev, e, c.kind);
  const r: Rollout = started ? newRollout(e, at) : structuredClone(prev as Rollout);
  const wasEnded = !started && isEnded(r);
  const notes: Note[] = [];
  let milestone = c.kind === 'started';

  r.events += 1;
  r.updatedAt = Math.max(r.updatedAt, at);
  r.lastMessage = e.metadata.eventMessage;
  r.lastKind = c.kind;
  if (!started && !r.revision && e.checksum && c.kind !== 'started') r.revision = e.checksum;
  const f = c.facts;
  if (f.canaryWeight !== undefined) r.weight = f.canaryWeight;
  if (f.iteration) r.iteration = f.iteration;
  if (f.primaryWeight !== undefined) r.primaryWeight = f.primaryWeight;
  if (f.failedChecks !== undefined) r.failedChecks = f.failedChecks;

  switch (c.kind) {
    case 'initialized':
      r.status = 'initializing';
      // "all the metrics providers are available!" comes first; "Initialization done!" says it all.
      milestone = /^Initialization done!/.test(e.metadata.eventMessage);
      break;
    case 'waiting':
      if (!wasEnded) r.status = 'waiting';
      if (f.webhook && !r.gates.some((g) => g.name === f.webhook)) {
        r.gates.push({ name: f.webhook, passed: false });
        notes.push({ kind: 'gate', text: e.metadata.eventMessage, broadcast: false });
        milestone = true;
      }
      break;
    case 'check-failed': {
      // A failing webhook is named with its type; a bare halt by its first words, never by the
      // whole answer a webhook sent back (an HTML page is no name).
      const hook = f.webhook && e.metadata.eventMessage.match(/^(\S+) check \S+ failed/)?.[1];
      const name =
        f.metric?.name ||
        (f.webhook ? (hook ? `${f.webhook} (${hook.toLowerCase()})` : f.webhook) : '') ||
        plainText(e.metadata.eventMessage, 120);
      const known = r.failed.find((x) => x.name === name);
      if (known) {
        known.count += 1;
        known.last = e.metadata.eventMessage;
      } else {
        milestone = r.failed.length === 0;
        r.failed.push({ name, last: e.metadata.eventMessage, count: 1 });
        notes.push({ kind: 'check', text: e.metadata.eventMessage, broadcast: false });
      }
      break;
    }
    case 'progress':
      if (!wasEnded) r.status = 'progressing';
      if (f.webhook && /check \S+ passed/.test(e.metadata.eventMessage)) {
        if (!r.passed.includes(f.webhook)) r.passed.push(f.webhook);
        for (const g of r.gates) if (g.name === f.webhook) g.passed = true;
      }
      break;
    case 'succeeded':
      if (r.status !== 'promoted') {
        r.status = 'promoted';
        r.endedAt = at;
        notes.push({ kind: 'outcome', text: e.metadata.eventMessage, broadcast: false });
        milestone = true;
      }
      break;
    case 'failed':
    case 'rolled-back':
      // "Rolling back …" and "Canary failed! …" are one failure: said once, with the first reason.
      if (r.status !== 'failed') {
        r.status = 'failed';
        r.endedAt = at;
        r.reason = e.metadata.eventMessage;
        notes.push({ kind: 'outcome', text: e.metadata.eventMessage, broadcast: true });
        milestone = true;
      }
      break;
    case 'terminated':
      if (r.status !== 'terminated') {
        r.status = 'terminated';
        r.endedAt = at;
        r.reason ??= e.metadata.eventMessage;
        notes.push({ kind: 'outcome', text: e.metadata.eventMessage, broadcast: false });
        milestone = true;
      }
      break;
    default:
      break;
  }
  return { rollout: r, started, milestone, notes };
}

/** How far along, 0–1, when Flagger said: canary weight, iteration, or primary weight. */
export function progressOf(r: Rollout): number | undefined {
  if (r.status === 'promoted') return 1;
  if (r.primaryWeight !== undefined) return r.primaryWeight / 100;
  if (r.iteration) return r.iteration.n / r.iteration.of;
  if (r.weight !== undefined) return r.weight / 100;
  return undefined;
}
