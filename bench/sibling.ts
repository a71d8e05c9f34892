// A slow destination beside a healthy one of the same provider, in the same batch: the healthy
// one's delivery latency (batch start → its POST arrives) vs the same batch without the slow one.
import type { Context, SQSEvent } from 'aws-lambda';
import type { FlaggerEvent } from '../lib/event/event';
import { slack } from '../lib/providers/slack';
import { fixtures } from '../test/helpers/fixtures';
import { queuedRecord } from '../test/helpers/queues';
import { answer, destination, startReceiver } from '../test/helpers/receiver';
import { workerFor } from '../test/helpers/worker';
import { percentile, row } from './stats';

const SLOW_MS = 8000;
const ROUNDS = 3;
const HEALTHY = 5;
const healthy = await startReceiver(answer(200, 'ok'));
const slow = await startReceiver((r, res) => setTimeout(() => answer(200, 'ok')(r, res, 0), SLOW_MS));
const handle = workerFor(slack, destination(slack, healthy.url('/healthy'), 'healthy'), {
  destinations: {
    healthy: destination(slack, healthy.url('/healthy'), 'healthy'),
    slow: destination(slack, slow.url('/slow'), 'slow'),
  },
  timeoutMs: 10_000,
});
const ctx = { functionName: 'slack', awsRequestId: 'r', getRemainingTimeInMillis: () => 300_000 } as Context;

const record = queuedRecord;
const base = fixtures[0] as FlaggerEvent;
// Distinct canaries (message groups), each event distinct.
const canary = (i: number): FlaggerEvent => ({
  ...base,
  name: `svc-${i}`,
  metadata: { ...base.metadata, timestamp: String(Date.now() + i) },
});

/** One batch: the slow destination's record first (the worst place for it), then the healthy ones. */
async function round(withSlow: boolean): Promise<number[]> {
  const records = [
    ...(withSlow ? [record(canary(0), 'slow')] : []),
    ...Array.from({ length: HEALTHY }, (_, i) => record(canary(i + 1), 'healthy')),
  ];
  const before = healthy.received.length;
  const t0 = Date.now();
  const res = await handle({ Records: records } as SQSEvent, ctx);
  if (res.batchItemFailures.length) throw new Error('delivery failed');
  return healthy.received.slice(before).map((r) => r.at - t0);
}

await round(false); // warm-up
const alone: number[] = [];
const beside: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  alone.push(...(await round(false)));
  beside.push(...(await round(true)));
}
await healthy.close();
await slow.close();
// Loopback deliveries take ~1 ms: a 1 ms floor keeps the ratio about the 8 s, not timer jitter.
const p50 = (xs: number[]) => Math.max(1, percentile(xs, 50));
console.log(
  JSON.stringify([
    row(
      `healthy destination's delivery p50 beside one answering in ${SLOW_MS / 1000} s (same batch, ${ROUNDS}×${HEALTHY} records) vs alone`,
      p50(beside),
      p50(alone),
      'ms',
      1.2,
    ),
  ]),
);
