import type { CanaryRef } from '../event/event';
import type { Story } from './story';
import type { RolloutStatus } from './tracker';

/** What the fleet page and digests keep of one finished (or superseded) rollout. */
export interface RolloutSummary {
  startedAt: number;
  /** When it was promoted, failed or terminated; absent when a newer revision superseded it. */
  endedAt?: number;
  status: RolloutStatus;
  revision?: string;
  /** Time spent at approval gates (Flagger's "waiting for approval" until the next step). */
  waitMs?: number;
  /** Failed because someone asked for it (Flagger's rollback webhook), not by its analysis. */
  rolledBack?: boolean;
}

/**
 * A canary in the fleet index: written once per rollout, when it starts (docs/fleet.md), with
 * the rollouts before it summarised. Its current rollout is read from its story.
 */
export interface FleetEntry extends CanaryRef {
  /** The canary's metadata (a per-canary webhook's `team`, `env`): filters and digests by team. */
  meta?: Record<string, string>;
  /** Its current rollout's start. */
  startedAt: number;
  /** Earlier rollouts, oldest first, for HISTORY_DAYS. */
  history: RolloutSummary[];
}

/** The fleet as read for a page or a digest: each canary's entry and its current story. */
export interface FleetRow {
  entry: FleetEntry;
  story?: Story;
}

export interface FleetStore {
  /** Every canary seen in the last 30 days, with its current story. */
  list(): Promise<FleetRow[]>;
  /**
   * A rollout started: the entry moves to it, the `ended` rollouts (archived stories) join its
   * history. An older start than the entry's changes nothing.
   */
  started(
    canary: CanaryRef,
    startedAt: number,
    meta: Record<string, string>,
    ended: RolloutSummary[],
  ): Promise<void>;
}

export const HISTORY_DAYS = 30;
const HISTORY_MAX = 200;
const META_KEYS = 10;
const META_VALUE_MAX = 100;

/** Flagger's words when its rollback webhook asked (scheduler: "Rolling back … manual webhook invoked"). */
const ASKED = /manual webhook invoked|rollback (hook|webhook|gate)/i;

/** A rollout's story, summarised: how it ended, how long, how long it waited for approval. */
export function summarize(story: Story): RolloutSummary {
  const r = story.rollout;
  let waitMs = 0;
  story.events.forEach((e, i) => {
    if (e.kind !== 'waiting') return;
    const next = story.events[i + 1];
    const until = next ? next.at : (r.endedAt ?? e.lastAt ?? e.at);
    waitMs += Math.max(0, until - e.at);
  });
  const rolledBack =
    r.status === 'failed' && (ASKED.test(r.reason ?? '') || story.events.some((e) => ASKED.test(e.message)));
  return {
    startedAt: r.startedAt,
    ...(r.endedAt !== undefined ? { endedAt: r.endedAt } : {}),
    status: r.status,
    ...(r.revision ? { revision: r.revision } : {}),
    ...(waitMs ? { waitMs } : {}),
    ...(rolledBack ? { rolledBack: true } : {}),
  };
}

/** The entry after a rollout started at `startedAt`; undefined when the entry is already newer. */
export function nextEntry(
  prev: FleetEntry | undefined,
  canary: CanaryRef,
  startedAt: number,
  meta: Record<string, string>,
  ended: RolloutSummary[],
  now: number,
): FleetEntry | undefined {
  if (prev && prev.startedAt >= startedAt) return undefined;
  const known = new Set(prev?.history.map((h) => h.startedAt));
  const since = now - HISTORY_DAYS * 24 * 3600 * 1000;
  const history = [...(prev?.history ?? []), ...ended.filter((h) => !known.has(h.startedAt))]
    .filter((h) => (h.endedAt ?? h.startedAt) >= since && h.startedAt < startedAt)
    .sort((a, b) => a.startedAt - b.startedAt)
    .slice(-HISTORY_MAX);
  const kept = Object.entries({ ...prev?.meta, ...meta })
    .filter(([k]) => k !== 'cluster')
    .slice(0, META_KEYS)
    .map(([k, v]) => [k, v.slice(0, META_VALUE_MAX)]);
  return {
    namespace: canary.namespace,
    name: canary.name,
    ...(canary.cluster ? { cluster: canary.cluster } : {}),
    ...(kept.length ? { meta: Object.fromEntries(kept) } : {}),
    startedAt,
    history,
  };
}
