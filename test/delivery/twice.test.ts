// What happens twice, at the worker: Flagger repeating a message, a byte-identical resend, a slow
// sibling in the same batch, a backlog behind a dead destination, an event no formatter can take.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { deliveredOnce } from '../../lib/delivery/once';
import type { FlaggerEvent } from '../../lib/event/event';
import { slack } from '../../lib/providers/slack';
import { useDynamo } from '../helpers/dynamo';
import { fixtures } from '../helpers/fixtures';
import { drain, queuedRecord, queuePair } from '../helpers/queues';
import { answer, destination, type Receiver, startReceiver } from '../helpers/receiver';
import { startSqs } from '../helpers/sqs';
import { captureJsonLines } from '../helpers/stdout';
import { lambdaContext as ctx, workerFor } from '../helpers/worker';

// The worker logs for real here (the suite default is silent): a resend must not log "delivered".
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
});
const logged = captureJsonLines<{ message: string; destination?: string }>((l) => l.startsWith('{"level"'));

const db = useDynamo();
let env: Awaited<ReturnType<typeof startSqs>>;
const receivers: Receiver[] = [];
beforeAll(async () => {
  env = await startSqs();
});
afterAll(async () => env?.close());
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});
const receiver = async (...a: Parameters<typeof startReceiver>) => {
  const r = await startReceiver(...a);
  receivers.push(r);
  return r;
};

const failed = fixtures.find((e) => e.metadata.eventMessage.startsWith('Canary failed!')) as FlaggerEvent;
const halt = fixtures.find((e) => e.metadata.eventMessage.startsWith('Halt checkout')) as FlaggerEvent;
const later = (e: FlaggerEvent, ms: number, checksum = e.checksum): FlaggerEvent => ({
  ...e,
  ...(checksum ? { checksum } : {}),
  metadata: { ...e.metadata, timestamp: String(Number(e.metadata.timestamp) + ms) },
});

const record = queuedRecord;

describe('once-only delivery is per event, not per message text (events: all)', () => {
  it('delivers Flagger’s same “Canary failed!” 5.5 minutes later (new checksum, new timestamp)', async () => {
    const rx = await receiver(answer(200, 'ok'));
    const handle = workerFor(slack, destination(slack, rx.url('/s')), {
      once: deliveredOnce(db.table, db.client),
    });
    const again = later(failed, 330_000, 'b7b7b7b7');
    expect((await handle({ Records: [record(failed)] }, ctx)).batchItemFailures).toEqual([]);
    expect((await handle({ Records: [record(again)] }, ctx)).batchItemFailures).toEqual([]);
    expect(rx.received).toHaveLength(2);
  });

  it('delivers a halt repeated every interval each time, with its new timestamp', async () => {
    const rx = await receiver(answer(200, 'ok'));
    const handle = workerFor(slack, destination(slack, rx.url('/s')), {
      once: deliveredOnce(db.table, db.client),
    });
    const repeats = [0, 60_000, 120_000].map((ms) => later(halt, ms));
    await handle({ Records: repeats.map((e) => record(e)) }, ctx);
    expect(rx.received).toHaveLength(3);
  });

  it('posts a byte-identical resend once, and says so instead of “delivered”', async () => {
    const rx = await receiver(answer(200, 'ok'));
    const handle = workerFor(slack, destination(slack, rx.url('/s'), 'resend'), {
      once: deliveredOnce(db.table, db.client),
    });
    const e = later(failed, 999_000);
    await handle({ Records: [record(e, 'resend')] }, ctx);
    await handle({ Records: [record(e, 'resend')] }, ctx); // a new queue message, the same event
    expect(rx.received).toHaveLength(1);
    const mine = logged.filter((l) => l.destination === 'resend').map((l) => l.message);
    expect(mine).toEqual(['delivered', 'already delivered, not sent again']);
  });
});

describe('a slow destination costs its siblings nothing but the batch they share', () => {
  it('delivers a healthy destination’s records while its sibling takes 1 s to answer each', async () => {
    const slow = await receiver((_r, res) => setTimeout(() => answer(200, 'ok')(_r, res, 0), 1000));
    const fast = await receiver(answer(200, 'ok'));
    const handle = workerFor(slack, destination(slack, slow.url('/slow'), 'slow'), {
      destinations: {
        slow: destination(slack, slow.url('/slow'), 'slow'),
        fast: destination(slack, fast.url('/fast'), 'fast'),
      },
      timeoutMs: 5000,
    });
    const canaries = fixtures.filter((e) => e.metadata.eventMessage.startsWith('New revision'));
    const t0 = Date.now();
    const records = canaries.flatMap((e) => [record(e, 'slow'), record(e, 'fast')]);
    expect((await handle({ Records: records }, ctx)).batchItemFailures).toEqual([]);
    expect(fast.received).toHaveLength(canaries.length);
    // One at a time per destination, but never behind the slow one.
    for (const r of fast.received) expect(r.at - t0).toBeLessThan(1000);
    expect(slow.received).toHaveLength(canaries.length);
  }, 30_000);
});

describe('the retry window starts when ingest accepted the event', () => {
  it('dead-letters a canary’s whole backlog behind a dead destination in one go, one window after', async () => {
    const rx = await receiver(answer(500, 'rollup_error'));
    const { queue, dlq } = await queuePair(env, 1000);
    const handle = workerFor(slack, destination(slack, rx.url('/s')), {
      queueUrl: queue.url,
      dlqUrl: dlq.url,
      client: env.sqs,
      retry: { baseSeconds: 1, capSeconds: 1, maxReceiveCount: 1000, windowSeconds: 60 },
    });
    // Accepted 61 s ago, received for the first time now (they waited behind the first).
    const backlog = [0, 1000, 2000].map((ms) => record(later(halt, ms), 'slack', Date.now() - 61_000));
    expect((await handle({ Records: backlog }, ctx)).batchItemFailures).toEqual([]);
    const dead = await drain(env, dlq);
    expect(dead).toHaveLength(3);
    for (const m of dead) expect(m.MessageAttributes?.reason?.StringValue).toMatch(/^gave up after 0\.0 h/);
  });
});

describe('an event no formatter can take is dead-lettered at once, not retried', () => {
  it('dead-letters a queued event whose time no Date can hold (queued before the schema refused it)', async () => {
    const rx = await receiver(answer(200, 'ok'));
    const { queue, dlq } = await queuePair(env, 1000);
    const handle = workerFor(slack, destination(slack, rx.url('/s')), {
      queueUrl: queue.url,
      dlqUrl: dlq.url,
      client: env.sqs,
    });
    const odd = { ...halt, metadata: { ...halt.metadata, timestamp: '9999999999999999' } };
    const next = later(halt, 60_000);
    // The odd one first, its canary's next event behind it in the same batch: that one goes out.
    expect((await handle({ Records: [record(odd), record(next)] }, ctx)).batchItemFailures).toEqual([]);
    expect(rx.received).toHaveLength(1);
    const [dead] = await drain(env, dlq);
    expect(dead?.MessageAttributes?.reason?.StringValue).toBe(
      'InvalidMessageError: queue message is not a flagger-notify v1 envelope',
    );
  });

  it('turns an exception thrown while formatting into a dead letter with its reason', async () => {
    const { queue, dlq } = await queuePair(env, 1000);
    const throwing = {
      name: 'slack',
      events: 'all' as const,
      sender: {
        send: async () => {
          throw new RangeError('Invalid time value');
        },
      },
    };
    const handle = workerFor(slack, throwing, { queueUrl: queue.url, dlqUrl: dlq.url, client: env.sqs });
    expect((await handle({ Records: [record(halt)] }, ctx)).batchItemFailures).toEqual([]);
    const [dead] = await drain(env, dlq);
    expect(dead?.MessageAttributes?.reason?.StringValue).toBe(
      'UnprocessableEventError: could not format the event: RangeError: Invalid time value',
    );
    expect(dead?.MessageAttributes?.attempts?.StringValue).toBe('1');
  });
});
