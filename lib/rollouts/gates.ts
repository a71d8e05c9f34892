import type { CanaryRef } from '../event/event';
import type { Versioned } from './state';
import type { Story } from './story';
import { isEnded } from './tracker';

/** Flagger's two gate families: confirm-* hooks wait for `gate`, rollback hooks for `rollback`. */
export type GateKind = 'gate' | 'rollback';
export type GateHow = 'api' | 'cli' | 'slack' | 'link';

/** One change of a gate, kept with the canary for its audit trail. */
export interface GateChange {
  kind: GateKind;
  open: boolean;
  by: string;
  how: GateHow;
  at: number;
  /** The rollout (its start) and revision the change was for. */
  rollout: number;
  revision?: string;
}

/** A canary's gates: each decision belongs to one rollout, and only while that rollout runs. */
export interface GateState extends CanaryRef {
  decisions: Partial<Record<GateKind, GateChange>>;
  audit: GateChange[];
  /**
   * The revision Flagger's checks last asked about, per gate: what an approval is for when the
   * rollout's own events have not named it yet (or not reached the workers yet).
   */
  asked?: Partial<Record<GateKind, string>>;
  /**
   * The rollout (its start) the canary's story showed when Flagger asked: an `asked` revision
   * binds an approval only in that rollout, never in the next one (absent in older states).
   */
  askedIn?: Partial<Record<GateKind, number>>;
}

export interface GateStore {
  get(canary: CanaryRef): Promise<Versioned<GateState> | undefined>;
  put(state: GateState, version: number): Promise<number>;
}

const AUDIT_MAX = 100;

/**
 * Open means: opened for the rollout running now, which has not reached its outcome, and (when
 * Flagger's check says which revision waits) for that revision. So an approval never carries
 * over to the next release, and a closed gate is what every other case gets.
 */
export function isOpen(
  state: GateState | undefined,
  kind: GateKind,
  story: Story | undefined,
  checksum?: string,
): boolean {
  const d = state?.decisions[kind];
  if (!d?.open || !story) return false;
  if (d.rollout !== story.rollout.startedAt || isEnded(story.rollout)) return false;
  return !checksum || !d.revision || d.revision === checksum;
}

/**
 * The revision an approval for the rollout running now is for: the one Flagger asked about during
 * this rollout, else the one its events name, else none yet (the next check's binds it).
 */
export function revisionFor(state: GateState | undefined, kind: GateKind, story: Story): string | undefined {
  const asked = state?.askedIn?.[kind] === story.rollout.startedAt ? state?.asked?.[kind] : undefined;
  return asked ?? story.rollout.revision;
}

/**
 * The state after opening or closing a gate for the rollout running now. Opening an open gate
 * (twice, or from two places) changes nothing: one approval, one audit line; opening a gate open
 * for another revision than the one now waiting binds it to that one.
 */
export function decide(
  state: GateState | undefined,
  story: Story,
  change: Omit<GateChange, 'rollout' | 'revision'>,
): { state: GateState; changed: boolean } {
  const base: GateState = state ?? {
    namespace: story.namespace,
    name: story.name,
    ...(story.cluster ? { cluster: story.cluster } : {}),
    decisions: {},
    audit: [],
  };
  const revision = revisionFor(base, change.kind, story);
  if (isOpen(base, change.kind, story, revision) === change.open) return { state: base, changed: false };
  const full: GateChange = {
    ...change,
    rollout: story.rollout.startedAt,
    ...(revision ? { revision } : {}),
  };
  return {
    state: {
      ...base,
      decisions: { ...base.decisions, [change.kind]: full },
      audit: [...base.audit, full].slice(-AUDIT_MAX),
    },
    changed: true,
  };
}

/**
 * The state after Flagger asked about `checksum` at a gate during `rollout` (the story's, when
 * known): remembered when it is new, so the next approval is bound to the revision that waits,
 * however far behind the events are.
 */
export function asked(
  state: GateState | undefined,
  canary: CanaryRef,
  kind: GateKind,
  checksum: string,
  rollout?: number,
): GateState | undefined {
  if (state?.asked?.[kind] === checksum && state?.askedIn?.[kind] === rollout) return undefined;
  const base: GateState = state ?? { ...canary, decisions: {}, audit: [] };
  const askedIn = { ...base.askedIn };
  if (rollout === undefined) delete askedIn[kind];
  else askedIn[kind] = rollout;
  return { ...base, asked: { ...base.asked, [kind]: checksum }, askedIn };
}
