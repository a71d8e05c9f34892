// Quiet hours in the worker: what may wait is held in the state table (once, by identity) and not
// sent; failures, rollbacks and approvals waiting go through at once; the rollout page shows the
// held message as "held until …".
import { describe, expect, it } from 'vitest';
import { loadQuiet } from '../../lib/config/quiet';
import { deliveredOnce } from '../../lib/delivery/once';
import type { FlaggerEvent } from '../../lib/event/event';
import { eventIdentity } from '../../lib/event/identity';
import { ensureStateTable } from '../../lib/local/dynamo';
import { slack } from '../../lib/providers/slack';
import { withResults } from '../../lib/rollouts/story';
import { parseRoutingConfig } from '../../lib/routing/config';
import { dynamoHeldStore } from '../../lib/stores/held';
import { dynamoRolloutStore } from '../../lib/stores/rollouts';
import { dynamoStoryStore } from '../../lib/stores/story';
import { useDynamo } from '../helpers/dynamo';
import { byMessage } from '../helpers/fixtures';
import { fakeRecord } from '../helpers/queues';
import { answer, destination, startReceiver } from '../helpers/receiver';
import { lambdaContext, workerFor } from '../helpers/worker';

const db = useDynamo();

/** The queued copy for `ops`, with its identity and what else ingest adds. */
const record = (event: FlaggerEvent, id: string, extra: Record<string, unknown> = {}) =>
  fakeRecord(event, id, 'ops', { id: eventIdentity(event), ...extra });

// A window around every minute of every day: the worker is always inside it.
const ALWAYS = `quiet: { from: "00:00", to: "24:00", tz: Europe/Berlin }`;

async function quietWorker(yaml: string) {
  const rx = await startReceiver(answer(200, 'ok'));
  const routing = await parseRoutingConfig(yaml.replace('URL', rx.url('/ops')), {}, 'routing.yaml');
  const worker = workerFor(slack, destination(slack, rx.url('/ops'), 'ops'), {
    quiet: loadQuiet(routing, ['ops']),
    held: dynamoHeldStore(db.table, db.client),
    stories: dynamoStoryStore(db.table, db.client),
    links: { secret: 's'.repeat(32), base: 'http://127.0.0.1:1' },
  });
  return { rx, worker };
}

describe('quiet hours in the worker', () => {
  it('holds progress (once, however often it comes) and sends a failure and an approval at once', async () => {
    const { rx, worker } = await quietWorker(
      `destinations:\n  ops: { type: slack, url: "URL", ${ALWAYS} }\n`,
    );
    const start = byMessage('New revision detected! Scaling up checkout');
    const failed = byMessage('Canary failed!');
    const waiting = byMessage('Halt frontend.web advancement waiting for approval');
    const res = await worker(
      { Records: [record(start, '1'), record(start, '2'), record(failed, '3'), record(waiting, '4')] },
      lambdaContext,
    );
    expect(res.batchItemFailures).toEqual([]);
    // Two canaries: their records run side by side, in no set order.
    const sent = rx.received.map(
      (r) => JSON.stringify(r.json).match(/Canary failed!|waiting for approval|New revision/)?.[0],
    );
    expect(sent.sort()).toEqual(['Canary failed!', 'waiting for approval']);
    const held = await dynamoHeldStore(db.table, db.client).get('ops');
    expect(held?.value.items.map((h) => h.message)).toEqual([
      'New revision detected! Scaling up checkout.shop',
    ]);
    expect(held?.value.when).toMatch(/^00:00 Europe\/Berlin$/);
    // The rollout page says so.
    const stories = dynamoStoryStore(db.table, db.client);
    const story = await withResults(
      stories,
      (await stories.get({ namespace: 'shop', name: 'checkout' }))?.value as never,
    );
    const result = Object.values(story.destinations.ops?.results ?? {}).find((r) => r.state === 'held');
    expect(result?.detail).toMatch(/^held until 00:00 Europe\/Berlin \(quiet hours; then one summary\)$/);
    await rx.close();
  });

  it('holds by the route that sent the event, named on the queued copy; outside every window, sends', async () => {
    const { rx, worker } = await quietWorker(
      `destinations:\n  ops: { type: slack, url: "URL" }\nroutes:\n  - name: night\n    ${ALWAYS}\n    to: [ops]\n`,
    );
    const advance = byMessage('Advance podinfo.test canary weight 20');
    await worker(
      {
        Records: [
          record(advance, '1', { quiet: 'night' }),
          record(byMessage('Advance podinfo.test canary weight 30'), '2'),
        ],
      },
      lambdaContext,
    );
    expect(rx.received.map((r) => JSON.stringify(r.json).includes('weight 30'))).toEqual([true]);
    const held = await dynamoHeldStore(db.table, db.client).get('ops');
    expect(held?.value.items.map((h) => h.message)).toContain('Advance podinfo.test canary weight 20');
    await rx.close();
  });

  it.each(['all', 'milestones'] as const)(
    'in mode %s: a resend is held once, a repeat only where it would have been sent, the next rollout anew',
    async (mode) => {
      const rx = await startReceiver(answer(200, 'ok'));
      const table = `quiet-${mode}`;
      await ensureStateTable(db.client, table);
      const routing = await parseRoutingConfig(
        `destinations:\n  ops: { type: slack, url: "${rx.url('/ops')}", events: ${mode}, ${ALWAYS} }\n`,
        {},
        'routing.yaml',
      );
      const store = dynamoRolloutStore(table, db.client);
      const worker = workerFor(
        slack,
        { ...destination(slack, rx.url('/ops'), 'ops'), events: mode },
        {
          quiet: loadQuiet(routing, ['ops']),
          held: dynamoHeldStore(table, db.client),
          store,
          once: deliveredOnce(table, db.client),
        },
      );
      const start = byMessage('New revision detected! Scaling up checkout');
      const later = (e: FlaggerEvent, ms: number) => ({
        ...e,
        metadata: { ...e.metadata, timestamp: String(Number(e.metadata.timestamp) + ms) },
      });
      const advance = byMessage('Advance checkout.shop canary weight 10');
      // The start, byte for byte again; the same advance twice (Flagger repeats it with a new
      // timestamp); the same canary's next rollout an hour later.
      for (const [i, e] of [start, start, advance, later(advance, 60_000), later(start, 3_600_000)].entries())
        expect((await worker({ Records: [record(e, String(i))] }, lambdaContext)).batchItemFailures).toEqual(
          [],
        );
      expect(rx.received).toEqual([]);
      const held = (await dynamoHeldStore(table, db.client).get('ops'))?.value.items.map((h) => h.message);
      expect(held).toEqual(
        mode === 'all'
          ? [start, advance, advance, start].map((e) => e.metadata.eventMessage)
          : // Milestones: the starts; an advance is no milestone, so there is nothing to hold.
            [start, start].map((e) => e.metadata.eventMessage),
      );
      await rx.close();
    },
  );
});
