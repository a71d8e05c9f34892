import { afterEach, describe, expect, it } from 'vitest';
import { googlechat } from '../../lib/providers/googlechat';
import type { Provider } from '../../lib/providers/provider';
import { slack } from '../../lib/providers/slack';
import { teams } from '../../lib/providers/teams';
import { dynamoRolloutStore } from '../../lib/stores/rollouts';
import { useDynamo } from '../helpers/dynamo';
import { fixtures } from '../helpers/fixtures';
import { fakeRecord } from '../helpers/queues';
import { answer, destination, type Receiver, startReceiver } from '../helpers/receiver';
import { lambdaContext as ctx, workerFor } from '../helpers/worker';

const db = useDynamo();
let rx: Receiver | undefined;
afterEach(async () => {
  await rx?.close();
  rx = undefined;
});
const sampleRollouts = ['podinfo', 'checkout', 'frontend', 'payments', 'legacy'].map((name) =>
  fixtures.filter((e) => e.name === name),
);

function worker(name: string, url: string, provider: Provider = slack) {
  const store = dynamoRolloutStore(db.table, db.client);
  return workerFor(provider, { ...destination(provider, url, name), events: 'milestones' }, { store });
}

describe('milestones for webhook destinations (state in dynalite)', () => {
  it.each([
    ['slack', slack],
    ['teams', teams],
  ] as const)('%s: each sample rollout sends at most Flagger’s own 2 + 1 messages', async (id, provider) => {
    rx = await startReceiver(answer(200, 'ok'));
    const handle = worker(`${id}-quiet`, rx.url('/hook'), provider);
    const counts: number[] = [];
    let n = 0;
    for (const events of sampleRollouts) {
      const before = rx.received.length;
      for (const e of events) {
        const res = await handle({ Records: [fakeRecord(e, `${id}-${n++}`, `${id}-quiet`)] }, ctx);
        expect(res.batchItemFailures).toEqual([]);
      }
      counts.push(rx.received.length - before);
    }
    // podinfo, checkout, frontend (initialization + rollout), payments, legacy
    expect(counts).toEqual([3, 3, 4, 2, 1]);
    for (const c of counts) expect(c).toBeLessThanOrEqual(3 * 2);
  });

  it('sends a redelivered record’s milestone once, and a record whose send failed on its retry', async () => {
    let fail = true;
    rx = await startReceiver((_r, res) => {
      res.writeHead(fail ? 500 : 200);
      res.end(fail ? 'rollup_error' : 'ok');
    });
    const handle = worker('retry', rx.url('/hook'));
    const [start, second] = sampleRollouts[0] ?? [];
    const first = fakeRecord(start as (typeof fixtures)[number], 'a1', 'retry');
    expect((await handle({ Records: [first] }, ctx)).batchItemFailures).toEqual([{ itemIdentifier: 'a1' }]);
    fail = false;
    // The retry: state already moved on, the milestone is still owed.
    expect((await handle({ Records: [first] }, ctx)).batchItemFailures).toEqual([]);
    // A duplicate delivery of the same message: nothing more is sent.
    expect((await handle({ Records: [first] }, ctx)).batchItemFailures).toEqual([]);
    await handle({ Records: [fakeRecord(second as (typeof fixtures)[number], 'a2', 'retry')] }, ctx);
    expect(rx.received.map((r) => (r.json as { text: string }).text.slice(0, 24))).toEqual([
      '🚀 podinfo.test: New rev', // the failed attempt
      '🚀 podinfo.test: New rev', // its retry
    ]);
  });

  it('threads Google Chat milestones per rollout: a canary’s next rollout starts a new thread', async () => {
    rx = await startReceiver(
      answer(200, '{"name":"spaces/x/messages/1"}', { 'content-type': 'application/json' }),
    );
    const handle = worker('chat', rx.url('/v1/spaces/A/messages?key=k&token=t'), googlechat);
    const podinfo = sampleRollouts[0] ?? [];
    // The same rollout again a day later: a new revision, a new thread.
    const later = podinfo.map((e) => ({
      ...e,
      checksum: e.checksum === '6d5c8f7b9c' ? 'ffff000011' : e.checksum,
      metadata: { ...e.metadata, timestamp: String(Number(e.metadata.timestamp) + 86_400_000) },
    }));
    let i = 0;
    for (const e of [...podinfo, ...later])
      await handle({ Records: [fakeRecord(e, `gc-${i++}`, 'chat')] }, ctx);
    const keys = rx.received.map((r) => (r.json as { thread: { threadKey: string } }).thread.threadKey);
    expect(keys).toHaveLength(6);
    expect(new Set(keys.slice(0, 3)).size).toBe(1);
    expect(new Set(keys.slice(3)).size).toBe(1);
    expect(keys[0]).toBe(`flagger/test/podinfo/${podinfo[0]?.metadata.timestamp}`);
    expect(keys[3]).not.toBe(keys[0]);
  });
});
