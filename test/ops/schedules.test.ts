// The status run's digests and quiet-hours summaries, with stores that behave like the state
// table's versioned items (a write over a stale version loses): once per period, whoever runs.
import { describe, expect, it } from 'vitest';
import { StateConflictError } from '../../lib/errors';
import { digestsNow, runSchedules, type ScheduleDeps } from '../../lib/ops/schedules';
import type { Report, Sender } from '../../lib/providers/provider';
import type { DigestRecord } from '../../lib/rollouts/digest';
import type { FleetRow } from '../../lib/rollouts/fleet';
import { type Held, withHeld } from '../../lib/rollouts/held';
import type { Schedules } from '../../lib/routing/config';
import { toDigest, toQuiet } from '../../lib/routing/schedule';

function versioned<T>() {
  const items = new Map<string, { value: T; version: number }>();
  return {
    items,
    async get(key: string) {
      const got = items.get(key);
      return got && { value: structuredClone(got.value), version: got.version };
    },
    async put(key: string, value: T, version: number) {
      await new Promise((r) => setTimeout(r, 1));
      if ((items.get(key)?.version ?? 0) !== version) throw new StateConflictError('changed meanwhile');
      items.set(key, { value: structuredClone(value), version: version + 1 });
      return version + 1;
    },
  };
}

const NOW = Date.parse('2026-12-07T09:00:30Z');
const H = 3600_000;

function sender(fail = () => false) {
  const sent: Report[] = [];
  const s: Sender = {
    send: async () => ({ status: 200 }),
    report: async (r) => {
      if (fail()) throw new Error('502 from the platform');
      sent.push(r);
      return { status: 200 };
    },
  };
  return { s, sent };
}

const rows: FleetRow[] = [
  {
    entry: {
      namespace: 'shop',
      name: 'checkout',
      startedAt: NOW - 3 * H,
      history: [{ startedAt: NOW - 10 * H, endedAt: NOW - 9 * H, status: 'promoted' }],
    },
  },
];

function deps(over: Partial<ScheduleDeps> = {}, schedules?: Partial<Schedules>) {
  const ops = sender();
  const records = versioned<DigestRecord>();
  const held = versioned<Held>();
  const d: ScheduleDeps = {
    schedules: {
      digests: [
        {
          label: 'destination ops',
          to: ['ops'],
          digest: toDigest({ every: 'day', at: '09:00' }),
          routes: [{ match: {}, include: [], exclude: [], to: ['ops'], continue: false }],
        },
      ],
      quiet: { destinations: {}, routes: {} },
      held: [],
      ...schedules,
    },
    senders: { ops: ops.s },
    fleet: { list: async () => rows, started: async () => {} },
    held: { get: (k) => held.get(k), put: (k, v, n) => held.put(k, v, n) },
    records: { get: (k) => records.get(k), put: (k, v, n) => records.put(k, v, n) },
    fleetLink: () => 'https://relay.example/fleet?exp=1&sig=x',
    now: () => NOW,
    ...over,
  };
  return { d, ops, records, held };
}

describe('digests from the status run', () => {
  it('sends the period’s digest once: a second run, and two runs at once, send nothing more', async () => {
    const { d, ops } = deps();
    expect((await runSchedules(d)).map((s) => s.ok)).toEqual([true]);
    expect(ops.sent).toHaveLength(1);
    expect(ops.sent[0]?.title).toBe('Daily digest · 1 rollout: 1 promoted, 0 failed');
    expect(ops.sent[0]?.link?.url).toBe('https://relay.example/fleet?exp=1&sig=x');
    await runSchedules({ ...d, now: () => NOW + 60_000 });
    expect(ops.sent).toHaveLength(1);

    const two = deps();
    await Promise.all([runSchedules(two.d), runSchedules(two.d), runSchedules(two.d)]);
    expect(two.ops.sent).toHaveLength(1);
  });

  it('nothing before its time, nothing over 3 hours late; the next one covers from the last one sent', async () => {
    const { d, ops, records } = deps();
    await runSchedules({ ...d, now: () => Date.parse('2026-12-07T08:59:00Z') });
    // Yesterday's 09:00 is 24 hours gone: skipped, not sent late.
    expect(ops.sent).toHaveLength(0);
    await runSchedules({ ...d, now: () => Date.parse('2026-12-07T12:30:00Z') });
    expect(ops.sent).toHaveLength(0);
    await runSchedules(d);
    const today = Date.parse('2026-12-07T09:00:00Z');
    expect(ops.sent).toHaveLength(1);
    expect([...records.items.values()][0]?.value).toMatchObject({
      last: today,
      since: today - 24 * H,
      state: 'sent',
    });
    await runSchedules({ ...d, now: () => today + 24 * H + 1000 });
    expect(ops.sent).toHaveLength(2);
    expect([...records.items.values()][0]?.value).toMatchObject({ last: today + 24 * H, since: today });
  });

  it('a platform that fails gets the digest again next minute, once it answers', async () => {
    let down = true;
    const ops = sender(() => down);
    const { d } = deps({ senders: { ops: ops.s } });
    expect((await runSchedules(d))[0]).toMatchObject({ ok: false, error: '502 from the platform' });
    down = false;
    expect((await runSchedules({ ...d, now: () => NOW + 60_000 }))[0]).toMatchObject({ ok: true });
    await runSchedules({ ...d, now: () => NOW + 120_000 });
    expect(ops.sent).toHaveLength(1);
  });

  it('a period that was never sent (the platform down past the catch-up) is covered by the next digest', async () => {
    let down = true;
    const ops = sender(() => down);
    const { d, records } = deps({ senders: { ops: ops.s } });
    const today = Date.parse('2026-12-07T09:00:00Z');
    await runSchedules(d);
    expect([...records.items.values()][0]?.value).toMatchObject({
      last: today,
      since: today - 24 * H,
      state: 'failed',
    });
    down = false;
    await runSchedules({ ...d, now: () => today + 24 * H + 1000 });
    // Tomorrow's digest starts where today's would have: nothing in between is skipped.
    expect([...records.items.values()][0]?.value).toMatchObject({
      last: today + 24 * H,
      since: today - 24 * H,
      state: 'sent',
    });
    expect(ops.sent[0]?.summary).toBe('2026-12-06 09:00 – 2026-12-08 09:00 UTC');
  });

  it('a run that died mid-send: the next run waits out the lease, then sends', async () => {
    const { d, ops, records } = deps();
    const fire = Date.parse('2026-12-07T09:00:00Z');
    records.items.set('digest#destination-ops#ops', {
      value: { last: fire, since: fire - 24 * H, state: 'sending', at: NOW },
      version: 1,
    });
    await runSchedules({ ...d, now: () => NOW + 60_000 });
    expect(ops.sent).toHaveLength(0);
    await runSchedules({ ...d, now: () => NOW + 6 * 60_000 });
    expect(ops.sent).toHaveLength(1);
  });

  it('--now sends every digest at once and leaves its schedule as it was', async () => {
    const { d, ops, records } = deps();
    const now = await digestsNow(d);
    expect(now).toEqual([
      {
        what: 'digest (destination ops)',
        destination: 'ops',
        ok: true,
        title: 'Daily digest (so far) · 1 rollout: 1 promoted, 0 failed',
      },
    ]);
    expect(records.items.size).toBe(0);
    await runSchedules(d);
    expect(ops.sent).toHaveLength(2);
  });

  it('a route’s digest covers only the canaries its match selects', async () => {
    const route = {
      match: { namespace: ['payments'] },
      include: [],
      exclude: [],
      to: ['ops'],
      continue: false,
    };
    const { d, ops } = deps(
      {},
      {
        digests: [
          {
            label: 'route pay',
            to: ['ops'],
            digest: toDigest({ every: 'day', at: '09:00' }),
            routes: [route],
          },
        ],
      },
    );
    await runSchedules(d);
    expect(ops.sent[0]?.title).toBe('Daily digest · 0 rollouts: 0 promoted, 0 failed');
  });
});

describe('quiet-hours summaries from the status run', () => {
  const nights = toQuiet([{ from: '22:00', to: '07:00' }]);
  const msg = (id: string, canary: string, message: string, at = NOW - 5 * H) => ({
    id,
    canary,
    kind: 'progress' as const,
    message,
    at,
  });
  const until = Date.parse('2026-12-07T07:00:00Z');

  async function holding(d: ScheduleDeps) {
    for (const m of [
      msg('a', 'podinfo.test', 'Advance podinfo.test canary weight 10'),
      msg('b', 'podinfo.test', 'Promotion completed!', NOW - 4 * H),
      msg('c', 'cart.shop', 'New revision detected!'),
      msg('a', 'podinfo.test', 'Advance podinfo.test canary weight 10'),
    ]) {
      const got = await d.held.get('ops');
      const next = withHeld(got?.value, m, { until, when: '07:00 UTC' });
      if (next) await d.held.put('ops', next, got?.version ?? 0);
    }
  }

  it('sends what was held as one message when quiet ends: a line per canary, its latest news', async () => {
    const { d, ops, held } = deps(
      {},
      { digests: [], quiet: { destinations: { ops: nights }, routes: {} }, held: ['ops'] },
    );
    await holding(d);
    expect([...held.items.values()][0]?.value.items).toHaveLength(3);
    await runSchedules({ ...d, now: () => until - 60_000 });
    expect(ops.sent).toHaveLength(0);
    await runSchedules(d);
    expect(ops.sent).toHaveLength(1);
    expect(ops.sent[0]).toMatchObject({
      kind: 'quiet-summary',
      title: 'While it was quiet · 3 messages held for 2 canaries',
      lines: ['cart.shop: New revision detected!', 'podinfo.test: Promotion completed! (2 messages)'],
    });
    expect([...held.items.values()][0]?.value).toMatchObject({ items: [], overflow: 0 });
    await runSchedules({ ...d, now: () => NOW + 60_000 });
    expect(ops.sent).toHaveLength(1);
  });

  it('a summary that fails keeps every held message for the next minute', async () => {
    let down = true;
    const ops = sender(() => down);
    const { d, held } = deps(
      { senders: { ops: ops.s } },
      { digests: [], quiet: { destinations: { ops: nights }, routes: {} }, held: ['ops'] },
    );
    await holding(d);
    expect((await runSchedules(d))[0]).toMatchObject({ ok: false });
    expect([...held.items.values()][0]?.value.items).toHaveLength(3);
    expect([...held.items.values()][0]?.value.sending).toBeUndefined();
    down = false;
    await runSchedules({ ...d, now: () => NOW + 60_000 });
    expect(ops.sent[0]?.title).toBe('While it was quiet · 3 messages held for 2 canaries');
  });
});
