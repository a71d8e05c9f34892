import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPoller, successfulMessages } from '../../lib/local/poller';
import { createQueues } from '../../lib/local/queues';
import { startSqs } from '../helpers/sqs';

const batch = [{ MessageId: 'a' }, { MessageId: 'b' }, { MessageId: 'c' }];

describe('successfulMessages (Lambda ReportBatchItemFailures semantics)', () => {
  it('deletes everything when the handler reports no failures or returns nothing', () => {
    expect(successfulMessages(batch, { threw: false, result: { batchItemFailures: [] } })).toEqual(batch);
    expect(successfulMessages(batch, { threw: false, result: undefined })).toEqual(batch);
  });
  it('keeps the reported failures for redelivery', () => {
    const r = successfulMessages(batch, {
      threw: false,
      result: { batchItemFailures: [{ itemIdentifier: 'b' }] },
    });
    expect(r.map((m) => m.MessageId)).toEqual(['a', 'c']);
  });
  it('keeps the whole batch when the handler throws', () => {
    expect(successfulMessages(batch, { threw: true })).toEqual([]);
  });
  it.each(['', 'zzz'])('keeps the whole batch when a failure names %j, not a message of the batch', (id) => {
    expect(
      successfulMessages(batch, { threw: false, result: { batchItemFailures: [{ itemIdentifier: id }] } }),
    ).toEqual([]);
  });
});

describe('poller against the SQS emulator', () => {
  let env: Awaited<ReturnType<typeof startSqs>>;
  beforeAll(async () => {
    env = await startSqs();
  });
  afterAll(async () => env?.close());

  it('delivers, redelivers failures after the visibility timeout and dead-letters after maxReceiveCount', async () => {
    const queues = await createQueues(
      env.sqs,
      [
        {
          logicalId: 'Q',
          name: 'poller-q.fifo',
          attributes: { FifoQueue: 'true', VisibilityTimeout: '30' },
          redrive: { dlq: 'D', maxReceiveCount: 2 },
        },
        { logicalId: 'D', name: 'poller-d.fifo', attributes: { FifoQueue: 'true' } },
      ],
      { visibilityTimeout: 1 },
    );
    const q = queues.get('Q');
    const d = queues.get('D');
    if (!q || !d) throw new Error('queues not created');
    for (const [body, group] of [
      ['ok-1', 'g1'],
      ['bad', 'g2'],
      ['ok-2', 'g3'],
    ]) {
      await env.sqs.send(
        new SendMessageCommand({
          QueueUrl: q.url,
          MessageBody: body,
          MessageGroupId: group,
          MessageDeduplicationId: body,
        }),
      );
    }
    const seen: { body: string; receiveCount: string; arn: string; group?: string }[] = [];
    const poller = startPoller({
      sqs: env.sqs,
      queue: q,
      region: 'us-east-1',
      functionName: 'test',
      batchSize: 10,
      waitSeconds: 1,
      handler: async (event: SQSEvent) => {
        for (const r of event.Records) {
          seen.push({
            body: r.body,
            receiveCount: r.attributes.ApproximateReceiveCount,
            arn: r.eventSourceARN,
            group: r.attributes.MessageGroupId,
          });
        }
        return {
          batchItemFailures: event.Records.filter((r) => r.body === 'bad').map((r) => ({
            itemIdentifier: r.messageId,
          })),
        };
      },
    });
    try {
      const deadline = Date.now() + 15_000;
      let dead: string[] = [];
      while (Date.now() < deadline && !dead.length) {
        const r = await env.sqs.send(new ReceiveMessageCommand({ QueueUrl: d.url, WaitTimeSeconds: 1 }));
        dead = (r.Messages ?? []).map((m) => m.Body ?? '');
      }
      expect(dead).toEqual(['bad']);
    } finally {
      await poller.stop();
    }
    expect(
      seen
        .filter((s) => s.body.startsWith('ok'))
        .map((s) => s.body)
        .sort(),
    ).toEqual(['ok-1', 'ok-2']);
    expect(seen.filter((s) => s.body === 'bad').map((s) => s.receiveCount)).toEqual(['1', '2']);
    expect(seen.every((s) => s.arn === q.arn && s.group?.startsWith('g'))).toBe(true);
    // Successes were deleted: nothing is left to receive from the main queue.
    const rest = await env.sqs.send(new ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 1 }));
    expect(rest.Messages ?? []).toEqual([]);
  });

  it('runs a batch per environment at once, never one message group in two batches (maximumConcurrency)', async () => {
    const queues = await createQueues(env.sqs, [
      { logicalId: 'C', name: 'poller-c.fifo', attributes: { FifoQueue: 'true', VisibilityTimeout: '30' } },
    ]);
    const q = queues.get('C');
    if (!q) throw new Error('queue not created');
    const send = (body: string, group: string) =>
      env.sqs.send(
        new SendMessageCommand({
          QueueUrl: q.url,
          MessageBody: body,
          MessageGroupId: group,
          MessageDeduplicationId: body,
        }),
      );
    // The slow group's first message holds one environment for a second.
    await send('slow-1', 'slow');
    const running = new Set<string>();
    const seen: { body: string; env: number; at: number; overlapped: boolean }[] = [];
    const t0 = Date.now();
    const environment = (n: number) => async (event: SQSEvent) => {
      const groups = event.Records.map((r) => r.attributes.MessageGroupId as string);
      const overlapped = groups.some((g) => running.has(g));
      for (const g of groups) running.add(g);
      for (const r of event.Records) seen.push({ body: r.body, env: n, at: Date.now() - t0, overlapped });
      if (event.Records.some((r) => r.body === 'slow-1')) await new Promise((r) => setTimeout(r, 1000));
      for (const g of groups) running.delete(g);
    };
    const poller = startPoller({
      sqs: env.sqs,
      queue: q,
      region: 'us-east-1',
      functionName: 'w',
      handler: [environment(1), environment(2)],
      batchSize: 10,
      waitSeconds: 1,
    });
    await new Promise((r) => setTimeout(r, 200));
    await send('slow-2', 'slow');
    await send('fast-1', 'fast');
    await new Promise((r) => setTimeout(r, 300));
    await send('fast-2', 'fast');
    while (seen.length < 4 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    await poller.stop();
    const at = (b: string) => seen.find((x) => x.body === b);
    // The fast group went through the other environment while the slow one was busy…
    expect(at('fast-1')?.at).toBeLessThan(900);
    expect(at('fast-2')?.at).toBeLessThan(900);
    expect(at('fast-1')?.env).not.toBe(at('slow-1')?.env);
    // …and the slow group's next message waited for its first to be done: FIFO order.
    expect(at('slow-2')?.at).toBeGreaterThanOrEqual(1000);
    expect(seen.some((x) => x.overlapped)).toBe(false);
  });
});
