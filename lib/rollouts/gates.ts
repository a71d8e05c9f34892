import type { CanaryRef } from '../event/event';
import type { Versioned } from './state';
import type { Story } from './story';
import { isEnded } from './tracker';

/** Flagger's two gate families: confirm-* hooks wait for `gate`, rollback hooks for `rollback`. */
export type GateKind = 'gate' | 'rollback';
export type GateHow = 'api' | 'cli' | 'slack' | 'teams' | 'link';

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
  /** A rejection: closed for this revision, and why; only the gate API (the CLI) opens it again. */
  rejected?: string;
  /** When an approval lapses (APPROVAL_TTL); without it, when its rollout ends. */
  until?: number;
  /** One approval of a quorum: the n-th distinct approver of the `of` needed. */
  vote?: { n: number; of: number };
}

/** The approvals counted toward a quorum, for one rollout and revision. */
export interface Ballot {
  rollout: number;
  revision?: string;
  /** Distinct approvers (their identity: an email, else the platform's user id). */
  who: string[];
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
  /** Approvals counted toward a quorum that is not reached yet. */
  votes?: Partial<Record<GateKind, Ballot>>;
}

export interface GateStore {
  get(canary: CanaryRef): Promise<Versioned<GateState> | undefined>;
  put(state: GateState, version: number): Promise<number>;
}

const AUDIT_MAX = 100;

/**
 * Open means: opened for the rollout running now, which has not reached its outcome, not lapsed
 * (APPROVAL_TTL), and (when Flagger's check says which revision waits) for that revision. So an
 * approval never carries over to the next release, and a closed gate is what every other case gets.
 */
export function isOpen(
  state: GateState | undefined,
  kind: GateKind,
  story: Story | undefined,
  checksum: string | undefined,
  now: number,
): boolean {
  const d = state?.decisions[kind];
  if (!d?.open || !story) return false;
  if (d.rollout !== story.rollout.startedAt || isEnded(story.rollout)) return false;
  if (d.until !== undefined && now >= d.until) return false;
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

/** What a person (or Flagger's API) asks of a gate. */
export interface GateRequest {
  kind: GateKind;
  action: 'open' | 'close' | 'reject';
  by: string;
  how: GateHow;
  at: number;
  /** Who, for a quorum: distinct identities count (default: `by`). */
  identity?: string;
  /** A rejection's reason. */
  reason?: string;
}

/** The rules the asking side applies: approvals a quorum needs, and how long one lasts. */
export interface GateRules {
  /** Distinct approvers needed to open `gate` (a rollback always takes one); default 1. */
  minApprovals?: number;
  /** Milliseconds an approval lasts; default: until its rollout ends. */
  ttlMs?: number;
}

export type GateOutcome =
  | { result: 'opened' | 'closed' | 'rejected'; change: GateChange }
  | { result: 'counted'; change: GateChange }
  | { result: 'unchanged'; open: boolean; change?: GateChange; counted?: Ballot }
  | { result: 'refused'; change: GateChange };

/** A decision for this rollout and revision (none for an earlier one, or for another revision). */
function current(state: GateState, kind: GateKind, story: Story, revision: string | undefined) {
  const d = state.decisions[kind];
  return d && d.rollout === story.rollout.startedAt && (!d.revision || !revision || d.revision === revision)
    ? d
    : undefined;
}

/**
 * The state after a request about a gate for the rollout running now. Opening an open gate (twice,
 * or from two places) changes nothing: one approval, one audit line; opening a gate open for
 * another revision than the one now waiting binds it to that one. With a quorum each distinct
 * approver is counted until enough agree; a rejection closes the gate for this revision, and a
 * click cannot open it again (the gate API can: an operator's override, audited as such).
 */
export function decide(
  state: GateState | undefined,
  story: Story,
  req: GateRequest,
  rules: GateRules = {},
): { state: GateState; outcome: GateOutcome } {
  const base: GateState = state ?? {
    namespace: story.namespace,
    name: story.name,
    ...(story.cluster ? { cluster: story.cluster } : {}),
    decisions: {},
    audit: [],
  };
  const { kind } = req;
  const revision = revisionFor(base, kind, story);
  const open = isOpen(base, kind, story, revision, req.at);
  const now = current(base, kind, story, revision);
  const change: GateChange = {
    kind,
    open: req.action === 'open',
    by: req.by,
    how: req.how,
    at: req.at,
    rollout: story.rollout.startedAt,
    ...(revision ? { revision } : {}),
  };
  const record = (c: GateChange, votes?: Ballot): GateState => {
    const all = { ...base.votes };
    if (votes) all[kind] = votes;
    else delete all[kind];
    return {
      ...base,
      // A counted vote leaves the decision as it was; anything else is the decision now.
      decisions: c.vote && !c.open ? base.decisions : { ...base.decisions, [kind]: c },
      audit: [...base.audit, c].slice(-AUDIT_MAX),
      votes: all,
    };
  };
  if (req.action === 'reject') {
    if (now?.rejected !== undefined)
      return { state: base, outcome: { result: 'unchanged', open, change: now } };
    const c = { ...change, rejected: (req.reason ?? '').slice(0, 300) };
    return { state: record(c), outcome: { result: 'rejected', change: c } };
  }
  if (req.action === 'close') {
    if (!open && !base.votes?.[kind]) return { state: base, outcome: { result: 'unchanged', open } };
    return { state: record(change), outcome: { result: 'closed', change } };
  }
  if (open) return { state: base, outcome: { result: 'unchanged', open, ...(now ? { change: now } : {}) } };
  if (now?.rejected !== undefined && req.how !== 'api' && req.how !== 'cli')
    return { state: base, outcome: { result: 'refused', change: now } };
  const needed = kind === 'gate' ? Math.max(1, rules.minApprovals ?? 1) : 1;
  const until = rules.ttlMs ? { until: req.at + rules.ttlMs } : {};
  if (needed === 1) {
    const c = { ...change, ...until };
    return { state: record(c), outcome: { result: 'opened', change: c } };
  }
  const prior = base.votes?.[kind];
  const ballot: Ballot =
    prior && prior.rollout === change.rollout && prior.revision === change.revision
      ? prior
      : { rollout: change.rollout, ...(revision ? { revision } : {}), who: [] };
  const identity = (req.identity ?? req.by).toLowerCase();
  if (ballot.who.includes(identity))
    return { state: base, outcome: { result: 'unchanged', open, counted: ballot } };
  const who = [...ballot.who, identity];
  const vote = { n: who.length, of: needed };
  if (who.length < needed) {
    const c = { ...change, open: false, vote };
    return { state: record(c, { ...ballot, who }), outcome: { result: 'counted', change: c } };
  }
  const c = { ...change, ...until, vote };
  return { state: record(c), outcome: { result: 'opened', change: c } };
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
