import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { slack } from '../lib/channels/slack';
import { teams } from '../lib/channels/teams';
import type { FlaggerEvent } from '../lib/event';
import { messageGroupId } from '../lib/queue';
import { createWorker } from '../lib/worker';
import { fixtures } from './helpers/fixtures';
import { answer, hang, type Receiver, startReceiver } from './helpers/receiver';

let rx: Receiver | undefined;
afterEach(async () => {
  await rx?.close();
  rx = undefined;
});

const record = (event: FlaggerEvent, id: string, body?: string): SQSRecord => ({
  messageId: id,
  receiptHandle: `rh-${id}`,
  body: body ?? JSON.stringify({ v: 1, receivedAt: '2026-01-01T00:00:00.000Z', event }),
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '0',
    SenderId: 'local',
    ApproximateFirstReceiveTimestamp: '0',
    MessageGroupId: messageGroupId(event),
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q.fifo',
  awsRegion: 'us-east-1',
});
const ctx = { functionName: 'slack', awsRequestId: 'r' } as Context;

const [a1, a2, a3] = fixtures.filter((e) => e.name === 'podinfo') as [
  FlaggerEvent,
  FlaggerEvent,
  FlaggerEvent,
];
const [b1, b2] = fixtures.filter((e) => e.name === 'checkout') as [FlaggerEvent, FlaggerEvent];
const failFirstOf = (text: string) => (req: { body: string }, res: import('node:http').ServerResponse) => {
  res.writeHead(req.body.includes(text) ? 500 : 200);
  res.end(req.body.includes(text) ? 'rollup_error' : 'ok');
};

describe('worker', () => {
  it('delivers every record of a batch, in order, formatted for its channel', async () => {
    rx = await startReceiver(answer(200, 'ok'));
    const handler = createWorker(slack, {
      webhookUrl: rx.url(),
      timeoutMs: 1000,
      sqs: { region: 'us-east-1' },
    });
    const res = await handler(
      { Records: [record(a1, '1'), record(b1, '2'), record(a2, '3')] } as SQSEvent,
      ctx,
    );
    expect(res).toEqual({ batchItemFailures: [] });
    expect(rx.received.map((r) => (r.json as { text: string }).text)).toEqual(
      [a1, b1, a2].map((e) => `${e.name}.${e.namespace}: ${e.metadata.eventMessage}`),
    );
  });

  it('fails a record and the rest of its canary, while other canaries still go out', async () => {
    rx = await startReceiver(failFirstOf('Starting canary analysis for podinfo'));
    const handler = createWorker(teams, {
      webhookUrl: rx.url(),
      timeoutMs: 1000,
      sqs: { region: 'us-east-1' },
    });
    const batch = [a1, a2, b1, a3, b2].map((e, i) => record(e, String(i + 1)));
    // a2 is "not ready…", a3 "Starting canary analysis…": a3 fails; b1, b2 of the other canary succeed.
    const res = await handler({ Records: batch } as SQSEvent, ctx);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: '4' }]);

    rx.setBehaviour(failFirstOf('podinfo'));
    const res2 = await handler(
      { Records: [a1, b1, a2, b2].map((e, i) => record(e, String(i + 1))) } as SQSEvent,
      ctx,
    );
    // a1 fails, so a2 (same group, later) must not be attempted; b1 and b2 are delivered.
    expect(res2.batchItemFailures).toEqual([{ itemIdentifier: '1' }, { itemIdentifier: '3' }]);
    const lastCalls = rx.received.slice(-3).map((r) => r.body.includes('checkout'));
    expect(lastCalls).toEqual([false, true, true]);
  });

  it('reports a timed-out delivery as a failure so SQS redelivers it', async () => {
    rx = await startReceiver(hang);
    const handler = createWorker(slack, {
      webhookUrl: rx.url(),
      timeoutMs: 200,
      sqs: { region: 'us-east-1' },
    });
    const res = await handler({ Records: [record(a1, '1')] } as SQSEvent, ctx);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: '1' }]);
  });

  it.each([
    ['not JSON', 'nope'],
    ['not our envelope', JSON.stringify({ hello: 'world' })],
    ['an invalid event', JSON.stringify({ v: 1, receivedAt: 'x', event: { name: 'a' } })],
  ])('fails a record whose body is %s without calling the webhook', async (_, body) => {
    rx = await startReceiver(answer(200, 'ok'));
    const handler = createWorker(slack, {
      webhookUrl: rx.url(),
      timeoutMs: 1000,
      sqs: { region: 'us-east-1' },
    });
    const res = await handler({ Records: [record(a1, '1', body)] } as SQSEvent, ctx);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: '1' }]);
    expect(rx.received).toHaveLength(0);
  });
});
