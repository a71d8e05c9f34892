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

describe('the schedules runner, at its edges', () => {
  const fire = Date.parse('2026-12-07T09:00:00Z');

  it('sends up to 3 hours late, not a millisecond more', async () => {
    const late = deps();
    await runSchedules({ ...late.d, now: () => fire + 3 * H });
    expect(late.ops.sent).toHaveLength(1);
    const later = deps();
    await runSchedules({ ...later.d, now: () => fire + 3 * H + 1 });
    expect(later.ops.sent).toHaveLength(0);
  });

  it('waits out a claim’s 5-minute lease to the millisecond', async () => {
    const { d, ops, records } = deps();
    records.items.set('digest#destination-ops#ops', {
      value: { last: fire, since: fire - 24 * H, state: 'sending', at: fire },
      version: 1,
    });
    await runSchedules({ ...d, now: () => fire + 5 * 60_000 - 1 });
    expect(ops.sent).toHaveLength(0);
    await runSchedules({ ...d, now: () => fire + 5 * 60_000 });
    expect(ops.sent).toHaveLength(1);
  });

  it('claims before it sends, keys each report by its period, and passes the deadline on', async () => {
    const seen: unknown[] = [];
    const { d, records } = deps();
    const s: Sender = {
      send: async () => ({ status: 200 }),
      report: async (r, ctx) => {
        seen.push([r.key, ctx, [...records.items.values()][0]?.value.state]);
        return { status: 200 };
      },
    };
    await runSchedules({ ...d, senders: { ops: s }, timeoutMs: 5000 });
    await digestsNow({ ...d, senders: { ops: s } });
    expect(seen).toEqual([
      ['digest#destination-ops#ops#2026-12-07', { timeoutMs: 5000 }, 'sending'],
      [`digest#destination-ops#ops#now#${NOW}`, { timeoutMs: 10_000 }, 'sent'],
    ]);
  });

  it('skips a destination without a sender, or whose sender takes no report', async () => {
    const none = deps({ senders: {} });
    expect(await runSchedules(none.d)).toEqual([]);
    expect(await digestsNow(none.d)).toEqual([]);
    const mute = deps({ senders: { ops: { send: async () => ({ status: 200 }) } } });
    expect(await runSchedules(mute.d)).toEqual([]);
    expect(await digestsNow(mute.d)).toEqual([]);
  });
});

describe('quiet-hours summaries, at their edges', () => {
  const until = Date.parse('2026-12-07T07:00:00Z');
  const quiet = {
    digests: [],
    quiet: { destinations: { ops: toQuiet([{ from: '22:00', to: '07:00' }]) }, routes: {} },
    held: ['ops'],
  };
  const item = (id: string, at: number) => ({
    id,
    canary: 'cart.shop',
    kind: 'progress' as const,
    message: `m${id}`,
    at,
  });

  it('at the very minute quiet ends, not a millisecond before', async () => {
    const { d, ops, held } = deps({}, quiet);
    held.items.set('ops', {
      value: { items: [item('a', 1)], overflow: 0, until, when: '07:00 UTC' },
      version: 1,
    });
    await runSchedules({ ...d, now: () => until - 1 });
    expect(ops.sent).toHaveLength(0);
    await runSchedules({ ...d, now: () => until });
    expect(ops.sent).toHaveLength(1);
  });

  it('only for destinations quiet hours hold for', async () => {
    const { d, ops, held } = deps({}, { ...quiet, held: [] });
    held.items.set('ops', {
      value: { items: [item('a', 1)], overflow: 0, until, when: '07:00 UTC' },
      version: 1,
    });
    await runSchedules(d);
    expect(ops.sent).toHaveLength(0);
  });

  it('says how many were held (the uncounted too), from the earliest, keyed by its end, linking only its canaries', async () => {
    const scopes: unknown[] = [];
    const route = { match: { namespace: ['shop'] }, include: [], exclude: [], to: ['ops'], continue: false };
    const { d, ops, held } = deps(
      {
        fleetLink: (scope) => {
          scopes.push(scope);
          return 'https://fleet';
        },
      },
      { ...quiet, routesTo: { ops: [route] } },
    );
    held.items.set('ops', {
      value: {
        items: [item('a', 300), item('b', 100), item('c', 200)],
        overflow: 4,
        until,
        when: '07:00 UTC',
      },
      version: 1,
    });
    await runSchedules(d);
    expect(ops.sent[0]).toMatchObject({
      title: 'While it was quiet · 7 messages held for 1 canary',
      key: `quiet#ops#${until}`,
      link: { url: 'https://fleet' },
      data: { from: 100, until },
    });
    expect(scopes).toEqual([[{ namespace: ['shop'] }]]);
  });

  it('a summary whose sender died mid-send is sent again after 5 minutes, not before', async () => {
    const { d, ops, held } = deps({}, quiet);
    held.items.set('ops', {
      value: {
        items: [],
        overflow: 0,
        until,
        when: '07:00 UTC',
        sending: { items: [item('a', 1)], overflow: 0, at: NOW },
      },
      version: 1,
    });
    await runSchedules({ ...d, now: () => NOW + 5 * 60_000 - 1 });
    expect(ops.sent).toHaveLength(0);
    await runSchedules({ ...d, now: () => NOW + 5 * 60_000 });
    expect(ops.sent.map((r) => r.lines)).toEqual([['cart.shop: ma']]);
    expect([...held.items.values()][0]?.value.sending).toBeUndefined();
  });

  it('a failed summary puts back what it took, uncounted ones included, still due and said as before', async () => {
    const ops = sender(() => true);
    const { d, held } = deps({ senders: { ops: ops.s } }, quiet);
    held.items.set('ops', {
      value: { items: [item('a', 1)], overflow: 2, until, when: '07:00 UTC' },
      version: 1,
    });
    await runSchedules(d);
    expect([...held.items.values()][0]?.value).toEqual({
      items: [item('a', 1)],
      overflow: 2,
      until,
      when: '07:00 UTC',
    });
  });
});

describe('the schedules runner when the table fails it', () => {
  it('a digest sent whose record cannot be saved is said in the log, not thrown', async () => {
    const { d, ops } = deps();
    let puts = 0;
    const records = {
      get: async () => undefined,
      put: async () => {
        puts++;
        if (puts > 1) throw new Error('ProvisionedThroughputExceededException');
        return 1;
      },
    };
    const out = await runSchedules({ ...d, records });
    expect(out).toEqual([expect.objectContaining({ ok: true })]);
    expect(ops.sent).toHaveLength(1);
  });

  it('two runs at once take held messages once: one summary', async () => {
    const until = Date.parse('2026-12-07T07:00:00Z');
    const { d, ops, held } = deps(
      {},
      { digests: [], quiet: { destinations: {}, routes: {} }, held: ['ops'] },
    );
    held.items.set('ops', {
      value: {
        items: [{ id: 'a', canary: 'x.y', kind: 'progress', message: 'm', at: 1 }],
        overflow: 0,
        until,
        when: '07:00 UTC',
      },
      version: 1,
    });
    await Promise.all([runSchedules(d), runSchedules(d), runSchedules(d)]);
    expect(ops.sent).toHaveLength(1);
  });
});
