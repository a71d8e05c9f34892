import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { type CanaryRef, canaryKey, type FlaggerEvent, refOf } from '../event/event';
import { type EnqueueMeta, type QueuedEvent, REDRIVEN_AT, type SqsSettings } from './envelope';

// What the queues carry lives in ./envelope (no SDK): a worker loads the SQS client only to
// dead-letter or delay a record.
export {
  type EnqueueMeta,
  parseQueuedBody,
  type QueuedEvent,
  REDRIVEN_AT,
  type SqsSettings,
} from './envelope';

/** `requestTimeoutMs` must exceed any long-poll wait made with the client (pollers, tools). */
export function createSqsClient(s: SqsSettings, requestTimeoutMs = 2000): SQSClient {
  return new SQSClient({
    region: s.region,
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    // A local emulator ignores signatures; sparing users fake AWS credentials for it is kinder.
    ...(s.endpoint && !process.env.AWS_ACCESS_KEY_ID
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    // Flagger waits for our answer inside its control loop (10 s timeout, no retry): a stuck queue
    // must turn into a quick 503, not a hang. Without throwOnRequestTimeout the SDK only warns.
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: 1000,
      requestTimeout: requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
}

const SEND_DEADLINE_MS = 5000;

// SQS FIFO limits: MessageGroupId and MessageDeduplicationId are at most 128 characters.
const ID_MAX = 128;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * One group per destination and canary (and cluster, in a fleet): a canary's messages to one destination stay in order,
 * while other canaries and other destinations flow in parallel, so a failing destination holds
 * back only its own messages.
 */
export function messageGroupId(destination: string, e: CanaryRef | FlaggerEvent): string {
  const id = `${destination}/${canaryKey(refOf(e))}`;
  return id.length <= ID_MAX ? id : `h:${sha256(id)}`;
}

/**
 * SQS FIFO drops a message whose dedup id it saw in the last 5 minutes: the event's identity (the
 * whole event, never its text alone) per destination, so only a byte-identical resend collapses.
 * Repeats with a new timestamp are new events; the rollout tracker decides what they are worth.
 */
export const deduplicationId = (destination: string, eventId: string): string =>
  sha256(JSON.stringify([destination, eventId]));

/**
 * JSON with every character outside printable ASCII as a `\u` escape: SQS refuses some characters
 * (U+FFFE, U+FFFF, most control characters; local emulators any astral one), and an event may
 * hold anything a JSON string can. The worker's JSON.parse gives the same string back.
 */
export const asciiJson = (value: unknown): string =>
  JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

export async function enqueue(
  sqs: SQSClient,
  queueUrl: string,
  destination: string,
  event: FlaggerEvent,
  meta: EnqueueMeta,
): Promise<string | undefined> {
  const body: QueuedEvent = {
    v: 1,
    receivedAt: meta.receivedAt.toISOString(),
    event,
    destination,
    id: meta.id,
    ...(meta.via ? { via: meta.via } : {}),
    ...(meta.quiet ? { quiet: meta.quiet } : {}),
    ...(meta.tells === false ? { tells: false } : {}),
    ...(meta.providers ? { providers: meta.providers } : {}),
  };
  const out = await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: asciiJson(body),
      MessageGroupId: messageGroupId(destination, event),
      MessageDeduplicationId: deduplicationId(destination, meta.id),
      // Lets the worker's log lines be joined to ingest's for the same event.
      MessageAttributes: { correlationId: { DataType: 'String', StringValue: meta.correlationId } },
    }),
    // One deadline over both attempts and the backoff between them, well inside Flagger's 10 s.
    { abortSignal: AbortSignal.timeout(SEND_DEADLINE_MS) },
  );
  return out.MessageId;
}

export interface DeadLetterInfo {
  provider: string;
  reason: string;
  errorType: string;
  status?: number;
  attempts: number;
  firstFailedAt: string;
  /** When the record was first sent to the main queue (epoch ms): the order a redrive restores. */
  sentAt?: string;
  /** The redrive that sent it back (epoch ms), when one did: that redrive leaves it be. */
  redrivenAt?: string;
}

/**
 * Moves a record to the dead-letter queue with why it failed (and whose it is). Each dead letter gets a message group of its own,
 * so every one can be listed at once (a FIFO queue hands out only the head of each group); its
 * original group and send time travel as attributes, and a redrive restores that order. The
 * dedup id is the original message id, so a worker that dies between this send and the delete
 * does not dead-letter the record twice.
 */
export async function sendToDeadLetter(
  sqs: SQSClient,
  dlqUrl: string,
  record: { messageId: string; body: string; groupId: string },
  info: DeadLetterInfo,
): Promise<void> {
  const str = (v: string) => ({ DataType: 'String', StringValue: v });
  const num = (v: number) => ({ DataType: 'Number', StringValue: String(v) });
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: dlqUrl,
      MessageBody: record.body,
      MessageGroupId: `dl-${record.messageId}`.slice(0, ID_MAX),
      MessageDeduplicationId: `dl-${record.messageId}`.slice(0, ID_MAX),
      MessageAttributes: {
        provider: str(info.provider),
        reason: str(info.reason.slice(0, 1000)),
        errorType: str(info.errorType),
        attempts: num(info.attempts),
        firstFailedAt: str(info.firstFailedAt),
        group: str(record.groupId),
        ...(info.sentAt ? { sentAt: num(Number(info.sentAt)) } : {}),
        ...(info.redrivenAt ? { [REDRIVEN_AT]: num(Number(info.redrivenAt)) } : {}),
        ...(info.status !== undefined ? { status: num(info.status) } : {}),
      },
    }),
  );
}

/** Makes failed records visible again after their backoff instead of the queue's full timeout. */
export async function delayRedelivery(
  sqs: SQSClient,
  queueUrl: string,
  entries: { receiptHandle: string; seconds: number }[],
): Promise<void> {
  for (let i = 0; i < entries.length; i += 10) {
    const chunk = entries.slice(i, i + 10);
    const out = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((e, j) => ({
          Id: String(j),
          ReceiptHandle: e.receiptHandle,
          VisibilityTimeout: e.seconds,
        })),
      }),
    );
    if (out.Failed?.length)
      throw new Error(`ChangeMessageVisibility failed for ${out.Failed.length} record(s)`);
  }
}

/**
 * Deletes records now rather than when their batch ends: SQS FIFO hands a message group its next
 * message only once the group's received ones are deleted. Lambda's event source deletes them
 * again at the batch's end, which SQS answers as a success.
 */
export async function acknowledge(sqs: SQSClient, queueUrl: string, receiptHandles: string[]): Promise<void> {
  for (let i = 0; i < receiptHandles.length; i += 10) {
    const out = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: receiptHandles.slice(i, i + 10).map((h, j) => ({ Id: String(j), ReceiptHandle: h })),
      }),
    );
    if (out.Failed?.length) throw new Error(`DeleteMessage failed for ${out.Failed.length} record(s)`);
  }
}

/** The record shape Lambda's SQS event source hands a function. */
export function toRecord(m: Message, queueArn: string, region: string): SQSRecord {
  const a = m.Attributes ?? {};
  return {
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? '',
      SenderId: a.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? '',
      ...(a.SequenceNumber ? { SequenceNumber: a.SequenceNumber } : {}),
      ...(a.MessageGroupId ? { MessageGroupId: a.MessageGroupId } : {}),
      ...(a.MessageDeduplicationId ? { MessageDeduplicationId: a.MessageDeduplicationId } : {}),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
        k,
        {
          dataType: v.DataType ?? 'String',
          ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody:
      m.MD5OfBody ??
      createHash('md5')
        .update(m.Body ?? '')
        .digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/**
 * Up to `max` more records of the queue, as the event source would hand them (all attributes, for
 * the receive count and the correlation id), waiting at most `waitSeconds` for the first.
 */
export async function receiveRecords(
  sqs: SQSClient,
  queue: { url: string; arn: string; region: string },
  max: number,
  waitSeconds: number,
): Promise<SQSRecord[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queue.url,
      MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages.map((m) => toRecord(m, queue.arn, queue.region));
}
