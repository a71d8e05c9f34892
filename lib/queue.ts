import { createHash } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import type { SqsSettings } from './config';
import { InvalidMessageError } from './errors';
import { type FlaggerEvent, flaggerEventSchema } from './event';

/** What travels on a channel queue: the validated event plus when ingest accepted it. */
export interface QueuedEvent {
  v: 1;
  receivedAt: string;
  event: FlaggerEvent;
}

export function createSqsClient(s: SqsSettings): SQSClient {
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
    requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true },
  });
}

const SEND_DEADLINE_MS = 5000;

// SQS FIFO limits: MessageGroupId and MessageDeduplicationId are at most 128 characters.
const ID_MAX = 128;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Messages of one canary share a group so they are delivered in order; canaries flow in parallel. */
export function messageGroupId(e: Pick<FlaggerEvent, 'namespace' | 'name'>): string {
  const id = `${e.namespace}/${e.name}`;
  return id.length <= ID_MAX ? id : `h:${sha256(id)}`;
}

/**
 * Same channel + same event (timestamp included) within SQS's 5-minute window = one message,
 * so Flagger's byte-identical webhook retries, or a client retrying after a 503, are not doubled.
 */
export function deduplicationId(channel: string, e: FlaggerEvent): string {
  return sha256(JSON.stringify([channel, e.namespace, e.name, e.phase, e.metadata]));
}

export async function enqueue(
  sqs: SQSClient,
  queueUrl: string,
  channel: string,
  event: FlaggerEvent,
  receivedAt: Date,
): Promise<string | undefined> {
  const body: QueuedEvent = { v: 1, receivedAt: receivedAt.toISOString(), event };
  const out = await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(body),
      MessageGroupId: messageGroupId(event),
      MessageDeduplicationId: deduplicationId(channel, event),
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
