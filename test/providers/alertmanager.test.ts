import { afterEach, describe, expect, it } from 'vitest';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../lib/errors';
import type { FlaggerEvent } from '../../lib/event/event';
import { runStatus } from '../../lib/ops/status';
import { alertmanager, labelName } from '../../lib/providers/alertmanager';
import { envDestination } from '../../lib/providers/destination';
import type { Sender } from '../../lib/providers/provider';
import { dynamoRolloutStore } from '../../lib/stores/rollouts';
import { useDynamo } from '../helpers/dynamo';
import { fixtures } from '../helpers/fixtures';
import { fakeRecord } from '../helpers/queues';
import { answer, type Receiver, startReceiver } from '../helpers/receiver';
import { lambdaContext as ctx, workerFor } from '../helpers/worker';

const db = useDynamo();
const receivers: Receiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});
type Alert = {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
};
const checkout = fixtures.filter((e) => e.name === 'checkout');
const podinfo = fixtures.filter((e) => e.name === 'podinfo');
/** checkout's next rollout: a new revision, a day later. */
const nextCheckout = checkout.map((e) => ({
  ...e,
  metadata: { ...e.metadata, timestamp: String(Number(e.metadata.timestamp) + 86_400_000) },
}));

let n = 0;
async function setup(options: Record<string, string> = {}, behave = answer(200)) {
  const rx = await startReceiver(behave);
  receivers.push(rx);
  const store = dynamoRolloutStore(db.table, db.client);
  const name = `am-${++n}`;
  const def = {
    ...envDestination(alertmanager, { ALERTMANAGER_URL: rx.url('/am') }),
    name,
    events: 'live' as const,
  };
  const sender = alertmanager.create(
    { ...def, options: { ...def.options, ...options } },
    { deployed: false, extraAllowedHosts: [], store },
  );
  const handle = workerFor(alertmanager, { name, sender, events: 'live' }, { store });
  const run = async (events: FlaggerEvent[]) => {
    for (const e of events) {
      const res = await handle({ Records: [fakeRecord(e, `a${++n}`, name)] }, ctx);
      expect(res.batchItemFailures).toEqual([]);
    }
  };
  const posted = () => rx.received.map((r) => r.json as Alert[]);
  return { rx, run, posted, sender, store };
}

describe('Alertmanager: canary_rollback while a canary is failed', () => {
  it('fires once on the failed sample rollout with Flagger’s labels and annotations, alive for 4 minutes', async () => {
    const { run, posted, rx } = await setup();
    const t0 = Date.now();
    await run(checkout);
    expect(rx.received.map((r) => r.path)).toEqual(['/am/api/v2/alerts']);
    const [[alert] = []] = posted();
    expect(alert?.labels).toEqual({
      alertname: 'canary_rollback',
      severity: 'warning',
      namespace: 'shop',
      name: 'checkout',
    });
    expect(alert?.annotations).toEqual({
      summary: 'Canary failed',
      description: 'Workload checkout namespace shop',
      reason: 'Rolling back checkout.shop failed checks threshold reached 5',
    });
    expect(alert?.startsAt).toBe(new Date(Number(checkout[6]?.metadata.timestamp)).toISOString());
    const ends = Date.parse(alert?.endsAt ?? '');
    expect(ends - t0).toBeGreaterThanOrEqual(240_000);
    expect(ends - Date.now()).toBeLessThanOrEqual(240_000);
  });

  it('is refreshed by the status run before endsAt, then resolved when the next revision starts', async () => {
    const { run, posted, sender, store } = await setup();
    await run(checkout);
    const later = Date.now() + 60_000;
    const gauges: string[] = [];
    const result = await runStatus({
      store,
      senders: [sender as Sender],
      now: () => later,
      gauge: (c, v) => gauges.push(`${c.namespace}/${c.name}=${v}`),
    });
    expect(result.refreshed).toBe(1);
    expect(gauges).toContain('shop/checkout=2');
    const refreshed = posted()[1]?.[0];
    expect(Date.parse(refreshed?.endsAt ?? '')).toBe(later + 240_000);
    expect(refreshed?.startsAt).toBe(posted()[0]?.[0]?.startsAt);
    // The next rollout: the old alert resolves (endsAt now), and a new failure fires a new one.
    await run(nextCheckout.slice(0, 1));
    const resolved = posted()[2]?.[0];
    expect(resolved?.labels.alertname).toBe('canary_rollback');
    expect(Date.parse(resolved?.endsAt ?? '')).toBeLessThanOrEqual(Date.now());
    const after = await runStatus({ store, senders: [sender as Sender], gauge: () => {} });
    expect(after.refreshed).toBe(0);
  });

  it('sends nothing for a successful rollout', async () => {
    const { run, rx } = await setup();
    await run(podinfo);
    expect(rx.received).toHaveLength(0);
  });

  it('turns metadata into valid label names, dropping what cannot be one or would override', () => {
    expect(
      ['cluster', 'team-name', '1st', 'a.b/c', '__meta', 'name', 'alertname', '___', ''].map(labelName),
    ).toEqual([
      'cluster',
      'team_name',
      '_1st',
      'a_b_c',
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('carries the event’s extra metadata as labels', async () => {
    const { run, posted } = await setup();
    const extra = { cluster: 'prod-eu', 'team-name': 'payments 💳', name: 'override-attempt' };
    await run(checkout.map((e) => ({ ...e, metadata: { ...e.metadata, ...extra } })));
    expect(posted()[0]?.[0]?.labels).toEqual({
      cluster: 'prod-eu',
      team_name: 'payments 💳',
      alertname: 'canary_rollback',
      severity: 'warning',
      namespace: 'shop',
      name: 'checkout',
    });
  });

  it('posts to every Alertmanager of an HA pair, with basic auth', async () => {
    const other = await startReceiver(answer(200));
    receivers.push(other);
    const { run, rx } = await setup({ username: 'flagger', password: 'SECRET-pass' });
    const both = await setup({
      url: `${rx.url('/am')},${other.url('/am2')}`,
      username: 'flagger',
      password: 'SECRET-pass',
    });
    await both.run(checkout);
    expect(both.rx.received).toHaveLength(0); // its own receiver is not in the list
    expect(rx.received.map((r) => r.headers.authorization)).toEqual([
      `Basic ${Buffer.from('flagger:SECRET-pass').toString('base64')}`,
    ]);
    expect(other.received.map((r) => r.path)).toEqual(['/am2/api/v2/alerts']);
    void run;
  });

  it('dead-letters a 400 (invalid alert) and retries a 5xx, never quoting credentials', async () => {
    const bad = await setup({ token: 'SECRET-token' }, answer(400, 'start time must be before end time'));
    const err = await bad.sender
      .send(checkout[6] as FlaggerEvent, {
        timeoutMs: 1000,
        messageId: 'x1',
        eventId: 'x1',
        moreInGroup: false,
      })
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect((err as Error).message).toContain('start time must be before end time');
    expect((err as Error).message).not.toContain('SECRET');
    const down = await setup({}, answer(503, 'unavailable'));
    const err2 = await down.sender
      .send(checkout[6] as FlaggerEvent, {
        timeoutMs: 1000,
        messageId: 'x2',
        eventId: 'x2',
        moreInGroup: false,
      })
      .catch((e: Error) => e);
    expect(err2).toBeInstanceOf(RetryableDeliveryError);
  });
});
