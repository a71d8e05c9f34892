import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { messageGroupId } from '../../lib/aws/queue';
import type { WorkerConfig } from '../../lib/config/config';
import { createWorker } from '../../lib/delivery/worker';
import type { FlaggerEvent } from '../../lib/event/event';
import { discord } from '../../lib/providers/discord';
import { slack } from '../../lib/providers/slack';
import { teams } from '../../lib/providers/teams';
import { fixtures } from '../helpers/fixtures';
import { drain, queuePair, sendAndReceive } from '../helpers/queues';
import {
  answer,
  defaultDestinations,
  destination,
  hang,
  type Receiver,
  startReceiver,
} from '../helpers/receiver';
import { startSqs } from '../helpers/sqs';

let env: Awaited<ReturnType<typeof startSqs>>;
let rx: Receiver | undefined;
beforeAll(async () => {
  env = await startSqs();
});
afterAll(async () => env?.close());
afterEach(async () => {
  await rx?.close();
  rx = undefined;
});

const ACCEPTED = new Date().toISOString();
const body = (event: FlaggerEvent) => JSON.stringify({ v: 1, receivedAt: ACCEPTED, event });
/** A record that never came from a queue: enough for ordering tests that need no SQS calls. */
const record = (event: FlaggerEvent, id: string, raw?: string): SQSRecord => ({
  messageId: id,
  receiptHandle: `rh-${id}`,
  body: raw ?? body(event),
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '0',
    SenderId: 'local',
    ApproximateFirstReceiveTimestamp: '0',
    MessageGroupId: messageGroupId('slack', event),
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q.fifo',
  awsRegion: 'us-east-1',
});
const ctx = (remainingMs = 60_000) =>
  ({ functionName: 'worker', awsRequestId: 'r', getRemainingTimeInMillis: () => remainingMs }) as Context;

async function setup(over: Partial<WorkerConfig> = {}, maxReceiveCount = 5) {
  const { queue, dlq } = await queuePair(env, maxReceiveCount);
  const config: WorkerConfig = {
    destinations: defaultDestinations(rx?.url('/hook/SECRET') ?? ''),
    timeoutMs: 1000,
    queueUrl: queue.url,
    dlqUrl: dlq.url,
    retry: { baseSeconds: 1, capSeconds: 1, maxReceiveCount, windowSeconds: 7200 },
    minIntervalMs: 0,
    sqs: { region: 'us-east-1' },
    ...over,
  };
  return { queue, dlq, config };
}

const [a1, a2, a3] = fixtures.filter((e) => e.name === 'podinfo') as [
  FlaggerEvent,
  FlaggerEvent,
  FlaggerEvent,
];
const [b1, b2] = fixtures.filter((e) => e.name === 'checkout') as [FlaggerEvent, FlaggerEvent];
const failIf =
  (text: string, status = 500) =>
  (req: { body: string }, res: import('node:http').ServerResponse) => {
    const bad = req.body.includes(text);
    res.writeHead(bad ? status : 200);
    res.end(bad ? 'rollup_error' : 'ok');
  };
const attrs = (m: { MessageAttributes?: Record<string, { StringValue?: string }> }) =>
  Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]));

describe('worker', () => {
  it('delivers every record of a batch, in order, formatted for its channel', async () => {
    rx = await startReceiver(answer(200, 'ok'));
    const { config } = await setup();
    const handler = createWorker(slack, config, env.sqs);
    const res = await handler({ Records: [record(a1, '1'), record(b1, '2'), record(a2, '3')] }, ctx());
    expect(res).toEqual({ batchItemFailures: [] });
    expect(rx.received.map((r) => (r.json as { text: string }).text.replace(/^\S+ /, ''))).toEqual(
      [a1, b1, a2].map((e) => `${e.name}.${e.namespace}: ${e.metadata.eventMessage}`),
    );
  });

  it('fails a record and holds back the rest of its canary, while other canaries still go out', async () => {
    rx = await startReceiver(failIf('podinfo'));
    const { config } = await setup();
    const handler = createWorker(teams, config, env.sqs);
    const res = await handler({ Records: [a1, b1, a2, b2].map((e, i) => record(e, String(i + 1))) }, ctx());
    // a1 fails, so a2 (same canary, later) is not attempted; b1 and b2 are delivered.
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: '1' }, { itemIdentifier: '3' }]);
    expect(rx.received.map((r) => r.body.includes('checkout'))).toEqual([false, true, true]);
  });

  it('makes a retryable failure visible again after its backoff, not the queue’s 30 s', async () => {
    rx = await startReceiver(answer(503, 'busy'));
    const { queue, config } = await setup({
      retry: { baseSeconds: 1, capSeconds: 1, maxReceiveCount: 5, windowSeconds: 7200 },
    });
    const event = await sendAndReceive(env, queue, [{ body: body(a1), group: 'test/podinfo' }]);
    const res = await createWorker(slack, config, env.sqs)(event, ctx());
    expect(res.batchItemFailures).toHaveLength(1);
    const again = await drain(env, queue, 3);
    expect(again.map((m) => m.Attributes?.ApproximateReceiveCount)).toEqual(['2']);
  });

  it('gives the held-back later records of a failed canary the same delay as the failed one', async () => {
    // In AWS a group with an in-flight record delivers nothing: were the later records left to the
    // queue's visibility timeout, the canary would stall that long instead of its backoff.
    rx = await startReceiver((_r, res, n) => {
      res.writeHead(n === 1 ? 429 : 200, n === 1 ? { 'retry-after': '7' } : {});
      res.end(n === 1 ? 'rate_limited' : 'ok');
    });
    const { config } = await setup();
    const visibility: { ReceiptHandle?: string; VisibilityTimeout?: number }[] = [];
    const spySqs = {
      send: async (cmd: { input: { Entries?: typeof visibility } }) => {
        visibility.push(...(cmd.input.Entries ?? []));
        return {};
      },
    } as unknown as Parameters<typeof createWorker>[2];
    const res = await createWorker(
      slack,
      config,
      spySqs,
    )({ Records: [record(a1, '1'), record(a2, '2')] }, ctx());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: '1' }, { itemIdentifier: '2' }]);
    expect(visibility.map((v) => [v.ReceiptHandle, v.VisibilityTimeout])).toEqual([
      ['rh-1', 7],
      ['rh-2', 7],
    ]);
  });

  it('dead-letters a permanent failure at once with its reason, attempting it exactly once', async () => {
    rx = await startReceiver(answer(404, 'no_service'));
    const { queue, dlq, config } = await setup();
    const event = await sendAndReceive(env, queue, [{ body: body(a1), group: 'test/podinfo' }]);
    const res = await createWorker(slack, config, env.sqs)(event, ctx());
    // Reported as handled, so Lambda deletes it from the main queue.
    expect(res.batchItemFailures).toEqual([]);
    expect(rx.received).toHaveLength(1);
    const dead = await drain(env, dlq);
    expect(dead.map((m) => m.Body)).toEqual([body(a1)]);
    const a = attrs(dead[0] ?? {});
    expect(a).toMatchObject({
      provider: 'slack',
      status: '404',
      attempts: '1',
      errorType: 'PermanentDeliveryError',
    });
    expect(a.reason).toMatch(
      /^PermanentDeliveryError: slack webhook \(127\.0\.0\.1:\d+\) answered 404: no_service$/,
    );
    expect(a.firstFailedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(JSON.stringify(a)).not.toContain('SECRET');
  });

  it('dead-letters a retryable failure on its last allowed attempt, saying retries ran out', async () => {
    rx = await startReceiver(answer(500, 'rollup_error'));
    const { queue, dlq, config } = await setup({}, 1);
    const event = await sendAndReceive(env, queue, [{ body: body(a1), group: 'test/podinfo' }]);
    expect((await createWorker(slack, config, env.sqs)(event, ctx())).batchItemFailures).toEqual([]);
    const a = attrs((await drain(env, dlq))[0] ?? {});
    expect(a.reason).toMatch(
      /^retries exhausted after 1 attempts: RetryableDeliveryError: .* answered 500: rollup_error$/,
    );
    expect(a.status).toBe('500');
  });

  it.each([
    ['not JSON', 'nope'],
    ['not our envelope', JSON.stringify({ hello: 'world' })],
    ['an invalid event', JSON.stringify({ v: 1, receivedAt: 'x', event: { name: 'a' } })],
  ])('dead-letters a record whose body is %s without calling the webhook', async (_, raw) => {
    rx = await startReceiver(answer(200, 'ok'));
    const { queue, dlq, config } = await setup();
    const event = await sendAndReceive(env, queue, [{ body: raw, group: 'g' }]);
    expect((await createWorker(slack, config, env.sqs)(event, ctx())).batchItemFailures).toEqual([]);
    expect(rx.received).toHaveLength(0);
    expect(attrs((await drain(env, dlq))[0] ?? {}).errorType).toBe('InvalidMessageError');
  });

  it('after a 429 with Retry-After sends nothing more until it has elapsed, and retries after it', async () => {
    rx = await startReceiver((_r, res, n) => {
      res.writeHead(n === 1 ? 429 : 200, n === 1 ? { 'retry-after': '2' } : {});
      res.end(n === 1 ? 'rate_limited' : 'ok');
    });
    const { queue, config } = await setup({
      retry: { baseSeconds: 1, capSeconds: 1, maxReceiveCount: 5, windowSeconds: 5 },
    });
    const handler = createWorker(slack, config, env.sqs);
    const event = await sendAndReceive(env, queue, [
      { body: body(a1), group: 'test/podinfo' },
      { body: body(b1), group: 'shop/checkout' },
    ]);
    const t0 = Date.now();
    const res = await handler(event, ctx());
    // The other canary's record was not sent into the rate limit either.
    expect(res.batchItemFailures).toHaveLength(2);
    expect(rx.received).toHaveLength(1);
    // Neither comes back before Retry-After's 2 s.
    expect(await drain(env, queue, 1)).toEqual([]);
    const again = await drain(env, queue, 3);
    expect(again).toHaveLength(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
    expect(
      (
        await handler(
          {
            Records: again.map((m) => ({
              ...record(a1, m.MessageId ?? ''),
              body: m.Body ?? '',
              receiptHandle: m.ReceiptHandle ?? '',
            })),
          },
          ctx(),
        )
      ).batchItemFailures,
    ).toEqual([]);
    expect((rx.received[1]?.at ?? 0) - (rx.received[0]?.at ?? 0)).toBeGreaterThanOrEqual(2000);
  });

  it('holds the next message when the platform’s rate-limit headers say the bucket is empty', async () => {
    rx = await startReceiver((_r, res) => {
      res.writeHead(200, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '3' });
      res.end('{"id":"1"}');
    });
    const { config } = await setup({
      destinations: { discord: destination(discord, rx.url('/api/webhooks/1/SECRET')) },
    });
    const res = await createWorker(
      discord,
      config,
      env.sqs,
    )({ Records: [record(a1, '1'), record(b1, '2')] } as SQSEvent, ctx());
    // The first went out and emptied the bucket: the second waits rather than earning a 429.
    expect(rx.received).toHaveLength(1);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: '2' }]);
  });

  it('gives up by time since ingest accepted the event: an attempt failing after the window dead-letters', async () => {
    rx = await startReceiver(answer(500, 'rollup_error'));
    const { dlq, config } = await setup({
      retry: { baseSeconds: 1, capSeconds: 1, maxReceiveCount: 1000, windowSeconds: 60 },
    });
    const old = (id: string, acceptedMsAgo: number, receives: number): SQSRecord => {
      const raw = JSON.stringify({
        v: 1,
        receivedAt: new Date(Date.now() - acceptedMsAgo).toISOString(),
        event: a1,
      });
      const r = record(a1, id, raw);
      // First received just now: the window counts from acceptance, not from the first receive.
      return {
        ...r,
        attributes: {
          ...r.attributes,
          ApproximateReceiveCount: String(receives),
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
      };
    };
    const handle = createWorker(slack, config, env.sqs);
    // 500 receives but inside the window: retried, not dead-lettered (receives are not the limit).
    expect((await handle({ Records: [old('young', 30_000, 500)] }, ctx())).batchItemFailures).toEqual([
      { itemIdentifier: 'young' },
    ]);
    // Past the window: dead-lettered after this failed attempt.
    expect((await handle({ Records: [old('old', 61_000, 3)] }, ctx())).batchItemFailures).toEqual([]);
    const [dead] = await drain(env, dlq);
    expect(attrs(dead ?? {}).reason).toMatch(
      /^gave up after 0\.0 h of retries \(retry window 60 s, 3 receives\): RetryableDeliveryError: .*answered 500: rollup_error$/,
    );
  });

  it('never counts a receive that made no attempt, even past the window', async () => {
    rx = await startReceiver(answer(200, 'ok'));
    const { dlq, config } = await setup({
      retry: { baseSeconds: 1, capSeconds: 1, maxReceiveCount: 1000, windowSeconds: 60 },
    });
    const late = record(
      a1,
      'waiting',
      JSON.stringify({ v: 1, receivedAt: new Date(Date.now() - 3_600_000).toISOString(), event: a1 }),
    );
    // Too little function time left: no attempt, so no dead letter however old the record is.
    const res = await createWorker(slack, config, env.sqs)({ Records: [late] }, ctx(500));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'waiting' }]);
    expect(await drain(env, dlq)).toEqual([]);
    expect(rx.received).toHaveLength(0);
  });

  it('does not start an attempt the function has no time left to finish', async () => {
    rx = await startReceiver(answer(200, 'ok'));
    const { config } = await setup();
    const res = await createWorker(slack, config, env.sqs)({ Records: [record(a1, '1')] }, ctx(500));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: '1' }]);
    expect(rx.received).toHaveLength(0);
  });

  it('spaces deliveries to one webhook by the minimum interval', async () => {
    rx = await startReceiver(answer(200, 'ok'));
    const { config } = await setup({ minIntervalMs: 300 });
    await createWorker(
      slack,
      config,
      env.sqs,
    )({ Records: [record(a1, '1'), record(b1, '2'), record(a3, '3')] }, ctx());
    expect(rx.received).toHaveLength(3);
    const gaps = rx.received.slice(1).map((r, i) => r.at - (rx?.received[i]?.at ?? 0));
    expect(gaps).toHaveLength(2);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(290);
  });

  it('reports a timed-out delivery as a failure so SQS redelivers it', async () => {
    rx = await startReceiver(hang);
    const { config } = await setup({ timeoutMs: 200 });
    const res = await createWorker(slack, config, env.sqs)({ Records: [record(a1, '1')] } as SQSEvent, ctx());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: '1' }]);
  });

  it('posts to the destination named in the message, with that destination’s options', async () => {
    rx = await startReceiver(answer(200, 'ok'));
    const { config } = await setup();
    config.destinations['team-a'] = destination(slack, rx.url('/team-a'), 'team-a', {
      username: 'team-a-bot',
    });
    const raw = JSON.stringify({ v: 1, receivedAt: 'x', event: a1, destination: 'team-a' });
    await createWorker(slack, config, env.sqs)({ Records: [record(a1, '1', raw)] }, ctx());
    expect(rx.received.map((r) => [r.path, (r.json as { username?: string }).username])).toEqual([
      ['/team-a', 'team-a-bot'],
    ]);
  });

  it.each(['gone', '__proto__', 'constructor'])(
    'dead-letters a message for a destination %s, not configured, naming it',
    async (gone) => {
      rx = await startReceiver(answer(200, 'ok'));
      const { queue, dlq, config } = await setup();
      const raw = JSON.stringify({ v: 1, receivedAt: 'x', event: a1, destination: gone });
      const event = await sendAndReceive(env, queue, [{ body: raw, group: 'g' }]);
      expect((await createWorker(slack, config, env.sqs)(event, ctx())).batchItemFailures).toEqual([]);
      expect(rx.received).toHaveLength(0);
      expect(attrs((await drain(env, dlq))[0] ?? {}).reason).toBe(
        `InvalidMessageError: unknown slack destination "${gone}"`,
      );
    },
  );

  it('while a slower group holds the batch, lets a delivered group move on and takes its next event itself', async () => {
    // Checkout's destination answers in 1.5 s; podinfo's at once.
    rx = await startReceiver((req, res) => {
      const reply = () => res.writeHead(200).end('ok');
      if (req.body.includes('checkout')) setTimeout(reply, 1500);
      else reply();
    });
    const { queue, config } = await setup({ timeoutMs: 3000 });
    // Checkout goes to a destination of its own (one destination's calls take turns).
    config.destinations.slow = destination(slack, rx.url('/slow'), 'slow');
    const toSlow = JSON.stringify({ v: 1, receivedAt: ACCEPTED, event: b1, destination: 'slow' });
    const event = await sendAndReceive(env, queue, [
      { body: body(a1), group: 'podinfo' },
      { body: toSlow, group: 'checkout' },
    ]);
    // Podinfo's next event arrives while the batch runs.
    await env.sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: body(a2),
        MessageGroupId: 'podinfo',
        MessageDeduplicationId: 'a2',
      }),
    );
    const t0 = Date.now();
    const res = await createWorker(slack, config, env.sqs)(event, ctx());
    expect(res.batchItemFailures).toEqual([]);
    // Podinfo's next event was taken and delivered by this very invocation while the slow record
    // waited: well before the slow record's 1.5 s, not after the batch.
    const second = rx.received.find((r) => r.body.includes(a2.metadata.eventMessage.slice(0, 30)));
    expect(second && second.at - t0).toBeLessThan(1400);
    // …and deleted by it: nothing is left for the event source to hand out again.
    const { Messages = [] } = await env.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    expect(Messages).toEqual([]);
  });

  it('acknowledges nothing early in a batch of one group: no request beyond the event source’s', async () => {
    rx = await startReceiver(answer(200, 'ok'));
    const { config } = await setup();
    const sent: string[] = [];
    const spy = { send: async (c: object) => void sent.push(c.constructor.name) } as never;
    const res = await createWorker(
      slack,
      config,
      spy,
    )({ Records: [record(a1, '1'), record(a2, '2')] }, ctx());
    expect(res.batchItemFailures).toEqual([]);
    expect(rx.received).toHaveLength(2);
    expect(sent).toEqual([]);
  });

  it('does not acknowledge a group that failed: its records come back, in order', async () => {
    rx = await startReceiver((req, res) => {
      if (req.body.includes('podinfo')) res.writeHead(500).end('down');
      // Done within the worker's patience: no record is taken from the queue.
      else setTimeout(() => res.writeHead(200).end('ok'), 100);
    });
    const { config } = await setup();
    const sent: { name: string; input: unknown }[] = [];
    const spy = {
      send: async (c: { input: unknown }) => void sent.push({ name: c.constructor.name, input: c.input }),
    } as never;
    const res = await createWorker(
      slack,
      config,
      spy,
    )({ Records: [record(a1, '1'), record(b1, '2'), record(a2, '3')] }, ctx());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: '1' }, { itemIdentifier: '3' }]);
    expect(sent.map((x) => x.name)).toEqual(['ChangeMessageVisibilityBatchCommand']);
  });
});
