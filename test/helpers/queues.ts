import { type Message, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { messageGroupId } from '../../lib/aws/queue';
import type { FlaggerEvent } from '../../lib/event/event';
import { eventIdentity } from '../../lib/event/identity';
import { toRecord } from '../../lib/local/poller';
import { type CreatedQueue, createQueues } from '../../lib/local/queues';
import type { startSqs } from './sqs';

let n = 0;

/** A fresh FIFO queue with its FIFO DLQ on the emulator. */
export async function queuePair(env: Awaited<ReturnType<typeof startSqs>>, maxReceiveCount = 5) {
  const id = `t${++n}-${Date.now()}`;
  const q = await createQueues(env.sqs, [
    {
      logicalId: 'Q',
      name: `${id}.fifo`,
      attributes: { FifoQueue: 'true', VisibilityTimeout: '30' },
      redrive: { dlq: 'D', maxReceiveCount },
    },
    { logicalId: 'D', name: `${id}-dlq.fifo`, attributes: { FifoQueue: 'true' } },
  ]);
  return { queue: q.get('Q') as CreatedQueue, dlq: q.get('D') as CreatedQueue };
}

/** Sends bodies (one message group each) and receives them back as a Lambda SQS event. */
export async function sendAndReceive(
  env: Awaited<ReturnType<typeof startSqs>>,
  queue: CreatedQueue,
  items: { body: string; group: string }[],
): Promise<SQSEvent> {
  for (const [i, it] of items.entries()) {
    await env.sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: it.body,
        MessageGroupId: it.group,
        MessageDeduplicationId: `${i}-${it.group}`,
      }),
    );
  }
  const got: Message[] = [];
  for (let tries = 0; got.length < items.length && tries < 20; tries++) {
    const r = await env.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    got.push(...(r.Messages ?? []));
  }
  return { Records: got.map((m) => toRecord(m, queue.arn, 'us-east-1')) };
}

/** Everything in a queue now, with message attributes (each becomes invisible for 30 s). */
export async function drain(env: Awaited<ReturnType<typeof startSqs>>, queue: CreatedQueue, waitSeconds = 0) {
  const out: Message[] = [];
  for (;;) {
    const r = await env.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: waitSeconds,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (!r.Messages?.length) return out;
    out.push(...r.Messages);
  }
}

/** A record that never came from a queue: enough for tests that make no SQS calls of their own. */
export function fakeRecord(
  event: { namespace: string; name: string },
  id: string,
  destination?: string,
  /** More of the envelope: what ingest adds (`id`, `quiet`, `via`, …). */
  extra: Record<string, unknown> = {},
): SQSEvent['Records'][number] {
  const group = `${destination ?? 'd'}/${event.namespace}/${event.name}`;
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: JSON.stringify({
      v: 1,
      receivedAt: new Date().toISOString(),
      event,
      ...(destination ? { destination } : {}),
      ...extra,
    }),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: '0',
      MessageGroupId: group,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q.fifo',
    awsRegion: 'us-east-1',
  };
}

let queued = 0;
/**
 * A record as Lambda hands it over after ingest queued `event` for `destination`: its envelope
 * (identity included), group and attributes, first received now.
 */
export function queuedRecord(
  event: FlaggerEvent,
  destination = 'slack',
  acceptedAt = Date.now(),
): SQSEvent['Records'][number] {
  const id = `q${++queued}`;
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: JSON.stringify({
      v: 1,
      receivedAt: new Date(acceptedAt).toISOString(),
      event,
      destination,
      id: eventIdentity(event),
    }),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      MessageGroupId: messageGroupId(destination, event),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q.fifo',
    awsRegion: 'us-east-1',
  };
}
