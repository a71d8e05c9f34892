import { type CanaryRef, canaryLabel } from '../event/event';
import { type FleetRow, type RolloutSummary, summarize } from './fleet';
import type { Versioned } from './state';

/** One group's numbers: a cluster's, a team's. */
export interface GroupStats {
  name: string;
  rollouts: number;
  promoted: number;
  failures: number;
  /** Promotions per day over the period. */
  perDay: number;
  /** Failures over finished rollouts, 0–1; undefined when none finished. */
  failureRate?: number;
}

/** What a digest says of a period (docs/fleet.md): numbers only, worded by the report. */
export interface DigestStats {
  since: number;
  until: number;
  /** Rollouts that ended in the period. */
  rollouts: number;
  promoted: number;
  failed: number;
  rolledBack: number;
  terminated: number;
  /** Rollouts running at the period's end. */
  running: number;
  medianMs?: number;
  longest?: { canary: string; ms: number };
  longestWait?: { canary: string; ms: number };
  /** Change failure rate: failed and rolled back over promoted, failed and rolled back. */
  failureRate?: number;
  /** Promotions per day over the period. */
  perDay: number;
  clusters: GroupStats[];
  teams: GroupStats[];
  /** The canaries that failed most (failures first, then by name), at most OFFENDERS. */
  offenders: { canary: string; failures: number; rollouts: number }[];
}

const OFFENDERS = 3;
const DAY_MS = 24 * 3600 * 1000;

const isFailure = (r: RolloutSummary) => r.status === 'failed';

function group(name: string, rs: RolloutSummary[], days: number): GroupStats {
  const promoted = rs.filter((r) => r.status === 'promoted').length;
  const failures = rs.filter(isFailure).length;
  return {
    name,
    rollouts: rs.length,
    promoted,
    failures,
    perDay: promoted / days,
    ...(promoted + failures ? { failureRate: failures / (promoted + failures) } : {}),
  };
}

/** The median of sorted numbers. */
const median = (xs: number[]) =>
  xs.length % 2
    ? (xs[(xs.length - 1) / 2] as number)
    : ((xs[xs.length / 2 - 1] as number) + (xs[xs.length / 2] as number)) / 2;

/**
 * The period [since, until) over the fleet rows in scope: each rollout that ended in it counts
 * once, by how it ended; durations from Flagger's own timestamps.
 */
export function digestStats(
  rows: readonly FleetRow[],
  since: number,
  until: number,
  team = 'team',
): DigestStats {
  const days = Math.max(1, (until - since) / DAY_MS);
  const ended: { canary: CanaryRef; meta: Record<string, string>; r: RolloutSummary }[] = [];
  let running = 0;
  for (const row of rows) {
    const current = row.story && summarize(row.story);
    for (const r of [...row.entry.history, ...(current ? [current] : [])]) {
      if (r.endedAt !== undefined && r.endedAt >= since && r.endedAt < until)
        ended.push({ canary: row.entry, meta: row.entry.meta ?? {}, r });
    }
    if (current && current.endedAt === undefined && current.startedAt < until) running++;
  }
  const count = (f: (r: RolloutSummary) => boolean) => ended.filter((e) => f(e.r)).length;
  const promoted = count((r) => r.status === 'promoted');
  const rolledBack = count((r) => r.status === 'failed' && Boolean(r.rolledBack));
  const failed = count((r) => r.status === 'failed' && !r.rolledBack);
  const durations = ended
    .filter((e) => e.r.status !== 'terminated')
    .map((e) => ({ canary: canaryLabel(e.canary), ms: (e.r.endedAt as number) - e.r.startedAt }))
    .sort((a, b) => a.ms - b.ms);
  const waits = ended
    .filter((e) => e.r.waitMs)
    .map((e) => ({ canary: canaryLabel(e.canary), ms: e.r.waitMs as number }))
    .sort((a, b) => b.ms - a.ms);
  const by = (key: (e: (typeof ended)[number]) => string | undefined) => {
    const m = new Map<string, RolloutSummary[]>();
    for (const e of ended) {
      const k = key(e);
      if (k !== undefined) m.set(k, [...(m.get(k) ?? []), e.r]);
    }
    return [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, rs]) => group(k, rs, days));
  };
  const perCanary = new Map<string, { failures: number; rollouts: number }>();
  for (const e of ended) {
    const k = canaryLabel(e.canary);
    const c = perCanary.get(k) ?? { failures: 0, rollouts: 0 };
    c.rollouts++;
    if (isFailure(e.r)) c.failures++;
    perCanary.set(k, c);
  }
  const finished = promoted + failed + rolledBack;
  const longest = durations.at(-1);
  return {
    since,
    until,
    rollouts: ended.length,
    promoted,
    failed,
    rolledBack,
    terminated: count((r) => r.status === 'terminated'),
    running,
    ...(durations.length ? { medianMs: median(durations.map((d) => d.ms)) } : {}),
    ...(longest ? { longest } : {}),
    ...(waits[0] ? { longestWait: waits[0] } : {}),
    ...(finished ? { failureRate: (failed + rolledBack) / finished } : {}),
    perDay: promoted / days,
    clusters: ended.some((e) => e.canary.cluster) ? by((e) => e.canary.cluster ?? '(none)') : [],
    teams: by((e) => e.meta[team]),
    offenders: [...perCanary.entries()]
      .filter(([, c]) => c.failures > 0)
      .sort(([a, x], [b, y]) => y.failures - x.failures || a.localeCompare(b))
      .slice(0, OFFENDERS)
      .map(([canary, c]) => ({ canary, ...c })),
  };
}

/** What is known of one destination's digest: the last period sent, or being sent. */
export interface DigestRecord {
  /** The period's fire time (epoch ms). */
  last: number;
  /** Where its period began: the previous digest's fire. */
  since: number;
  state: 'sending' | 'sent' | 'failed';
  /** When its state was set. */
  at: number;
}

export interface DigestRecords {
  get(key: string): Promise<Versioned<DigestRecord> | undefined>;
  /** Saves over `version` (0 = new); another writer first → a StateConflictError. */
  put(key: string, record: DigestRecord, version: number): Promise<number>;
}
