import { describe, expect, it } from 'vitest';
import { digestStats } from '../../lib/rollouts/digest';
import { type FleetEntry, type FleetRow, nextEntry, summarize } from '../../lib/rollouts/fleet';
import type { Story, StoryEvent } from '../../lib/rollouts/story';
import type { Rollout } from '../../lib/rollouts/tracker';

const H = 3600_000;
const T0 = Date.parse('2026-12-06T09:00:00Z');

const ev = (at: number, kind: StoryEvent['kind'], message: string, lastAt?: number): StoryEvent => ({
  id: `${at}`,
  at,
  phase: 'Progressing',
  kind,
  eventType: 'Normal',
  message,
  ...(lastAt ? { lastAt, repeat: 3 } : {}),
});

function story(name: string, r: Partial<Rollout>, events: StoryEvent[] = [], cluster?: string): Story {
  return {
    namespace: 'shop',
    name,
    ...(cluster ? { cluster } : {}),
    rollout: {
      canary: `${name}.shop`,
      status: 'progressing',
      startedAt: T0,
      updatedAt: T0,
      passed: [],
      failed: [],
      gates: [],
      lastMessage: '',
      lastKind: 'other',
      events: events.length,
      ...r,
    },
    events,
    overflow: 0,
    destinations: {},
  };
}

const entry = (
  name: string,
  history: FleetEntry['history'] = [],
  meta?: Record<string, string>,
  cluster?: string,
): FleetEntry => ({
  namespace: 'shop',
  name,
  ...(cluster ? { cluster } : {}),
  ...(meta ? { meta } : {}),
  startedAt: T0,
  history,
});

describe('a rollout summarised', () => {
  it('counts the time at approval gates, from the first "waiting" until the next step', () => {
    const s = summarize(
      story('cart', { status: 'promoted', endedAt: T0 + 3 * H }, [
        ev(T0, 'started', 'New revision detected!'),
        ev(T0 + H, 'waiting', 'Halt cart.shop advancement waiting for approval gate', T0 + 1.5 * H),
        ev(T0 + 2 * H, 'progress', 'Advance cart.shop canary weight 10'),
        ev(T0 + 3 * H, 'succeeded', 'Promotion completed!'),
      ]),
    );
    expect(s).toEqual({ startedAt: T0, endedAt: T0 + 3 * H, status: 'promoted', waitMs: H });
  });

  it('tells a rollback someone asked for from a failed analysis', () => {
    const asked = summarize(
      story('a', { status: 'failed', endedAt: T0 + H, reason: 'Rolling back a.shop manual webhook invoked' }),
    );
    const failed = summarize(
      story('b', {
        status: 'failed',
        endedAt: T0 + H,
        reason: 'Rolling back b.shop failed checks threshold reached 5',
      }),
    );
    expect(asked.rolledBack).toBe(true);
    expect(failed.rolledBack).toBeUndefined();
  });
});

describe('the next fleet entry', () => {
  it('keeps the metadata (not the cluster), at most 10 keys of 100 characters', () => {
    const meta = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, 'v'.repeat(150)]));
    const e = nextEntry(
      undefined,
      { namespace: 'n', name: 'x', cluster: 'eu' },
      T0,
      { ...meta, cluster: 'eu' },
      [],
      T0,
    );
    expect(Object.keys(e?.meta ?? {})).toHaveLength(10);
    expect(e?.meta?.cluster).toBeUndefined();
    expect(e?.meta?.k0).toHaveLength(100);
    expect(e?.cluster).toBe('eu');
  });

  it('is undefined for a start no newer than the entry’s, and never lists a rollout twice', () => {
    const prev = entry('x', [{ startedAt: T0 - H, endedAt: T0 - H / 2, status: 'promoted' }]);
    expect(nextEntry(prev, prev, T0, {}, [], T0)).toBeUndefined();
    const next = nextEntry(
      prev,
      prev,
      T0 + H,
      {},
      [prev.history[0] as never, { startedAt: T0, endedAt: T0 + H / 2, status: 'failed' }],
      T0 + H,
    );
    expect(next?.history.map((h) => h.startedAt)).toEqual([T0 - H, T0]);
  });
});

describe('digest numbers', () => {
  const day: [number, number] = [T0, T0 + 24 * H];
  const rows: FleetRow[] = [
    // Promoted today, after 2 h, 1 h of it waiting for approval.
    {
      entry: entry('cart', [], { team: 'payments' }, 'prod-eu'),
      story: story(
        'cart',
        { status: 'promoted', endedAt: T0 + 2 * H },
        [
          ev(T0, 'started', 'New revision detected!'),
          ev(T0 + 0.5 * H, 'waiting', 'waiting for approval'),
          ev(T0 + 1.5 * H, 'progress', 'Advance'),
        ],
        'prod-eu',
      ),
    },
    // Failed today (its analysis) and earlier today promoted, in its history; yesterday's promotion is outside.
    {
      entry: entry(
        'checkout',
        [
          { startedAt: T0 - 5 * H, endedAt: T0 - 4 * H, status: 'promoted' },
          { startedAt: T0 + H, endedAt: T0 + 1.5 * H, status: 'promoted' },
        ],
        { team: 'payments' },
        'prod-us',
      ),
      story: story(
        'checkout',
        {
          status: 'failed',
          endedAt: T0 + 4 * H,
          startedAt: T0 + 3 * H,
          reason: 'failed checks threshold reached 5',
        },
        [],
        'prod-us',
      ),
    },
    // A rollback someone asked for.
    {
      entry: entry('search', [], { team: 'discovery' }, 'prod-eu'),
      story: story(
        'search',
        { status: 'failed', endedAt: T0 + 5 * H, reason: 'Rolling back search.shop manual webhook invoked' },
        [],
        'prod-eu',
      ),
    },
    // Still running at the period's end; and one that started after it.
    {
      entry: entry('feed', [], { team: 'discovery' }, 'prod-eu'),
      story: story('feed', { status: 'waiting' }, [], 'prod-eu'),
    },
    { entry: entry('late'), story: story('late', { status: 'progressing', startedAt: T0 + 30 * H }) },
  ];

  it('counts each rollout that ended in the period once, by how it ended', () => {
    const s = digestStats(rows, ...day);
    expect(s).toMatchObject({
      rollouts: 4,
      promoted: 2,
      failed: 1,
      rolledBack: 1,
      terminated: 0,
      running: 1,
    });
    expect(s.failureRate).toBe(0.5);
    expect(s.perDay).toBe(2);
    expect(s.medianMs).toBe(1.5 * H); // 0.5, 1, 2 and 5 h
    expect(s.longest).toEqual({ canary: 'prod-eu · search.shop', ms: 5 * H });
    expect(s.longestWait).toEqual({ canary: 'prod-eu · cart.shop', ms: H });
  });

  it('per cluster and per team, and the worst offenders first', () => {
    const s = digestStats(rows, ...day);
    expect(s.clusters.map((g) => [g.name, g.promoted, g.failures])).toEqual([
      ['prod-eu', 1, 1],
      ['prod-us', 1, 1],
    ]);
    expect(s.teams.map((g) => [g.name, g.rollouts, g.failureRate])).toEqual([
      ['discovery', 1, 1],
      ['payments', 3, 1 / 3],
    ]);
    expect(s.offenders).toEqual([
      { canary: 'prod-eu · search.shop', failures: 1, rollouts: 1 },
      { canary: 'prod-us · checkout.shop', failures: 1, rollouts: 2 },
    ]);
  });

  it('an empty period says so: no rates, no durations', () => {
    const s = digestStats(rows, T0 - 48 * H, T0 - 24 * H);
    expect(s).toMatchObject({ rollouts: 0, promoted: 0, perDay: 0, clusters: [], teams: [], offenders: [] });
    expect(s.failureRate).toBeUndefined();
    expect(s.medianMs).toBeUndefined();
  });
});
