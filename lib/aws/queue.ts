import { createHash } from 'node:crypto';
import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { InvalidMessageError } from '../errors';
import { type CanaryRef, canaryKey, type FlaggerEvent, flaggerEventSchema, refOf } from '../event/event';

/** What travels on a provider's queue: the validated event plus when ingest accepted it. */
export interface QueuedEvent {
  v: 1;
  receivedAt: string;
  event: FlaggerEvent;
  /** The routing destination; absent means the provider's default destination (named like it). */
  destination?: string;
  /** The event's identity (lib/event/identity.ts); absent in messages queued by older versions. */
  id?: string;
  /** The route whose template words it, when that route has one. */
  via?: string;
  /**
   * False on every copy of the event but one: that one's worker writes the event into its
   * rollout's story, the others only their results (absent, from older versions: every copy does).
   */
  tells?: false;
}

/** Where the queues are: a region, or a local emulator's endpoint. */
export interface SqsSettings {
  region: string;
  endpoint?: string;
}

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
  meta: { receivedAt: Date; correlationId: string; id: string; via?: string; tells?: false },
): Promise<string | undefined> {
  const body: QueuedEvent = {
    v: 1,
    receivedAt: meta.receivedAt.toISOString(),
    event,
    destination,
    id: meta.id,
    ...(meta.via ? { via: meta.via } : {}),
    ...(meta.tells === false ? { tells: false } : {}),
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

const queuedSchema = z.object({
  v: z.literal(1),
  receivedAt: z.string(),
  event: flaggerEventSchema,
  destination: z.optional(z.string()),
  id: z.optional(z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be a sha256 hex digest'))),
  // The route whose template words this event (docs/templates.md).
  via: z.optional(z.string().check(z.maxLength(64))),
  tells: z.optional(z.literal(false)),
});

/**
 * Checked again on the way out: a message redriven by hand or sent by another producer must fail
 * clearly, not as a crash inside a formatter.
 */
export function parseQueuedBody(body: string): QueuedEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidMessageError('queue message body is not JSON');
  }
  const r = queuedSchema.safeParse(json);
  if (!r.success) throw new InvalidMessageError('queue message is not a flagger-notify v1 envelope');
  return r.data;
}

/**
 * Stamped by `dlq redrive` on what it sends (epoch ms) and kept by the worker on a new dead
 * letter: the retry window restarts there, and a redrive knows what came back while it ran.
 */
export const REDRIVEN_AT = 'redrivenAt';

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
