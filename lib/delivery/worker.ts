import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseQueuedBody, type QueuedEvent, REDRIVEN_AT } from '../aws/envelope';
import { record as metric } from '../aws/metrics';
import { InvalidMessageError, NotSentError, PermanentDeliveryError } from '../errors';
import { eventIdentity } from '../event/identity';
import { logger, withOwnLogger } from '../log';
import type { Provider } from '../providers/provider';
import { storyBatch } from '../rollouts/story-log';
import { groupOf, processFifoBatch } from './batch';
import { busyInvocation } from './busy';
import { deliverRecord, type WorkerConfig } from './deliver';
import { createPacer, type Pacer } from './pacer';
import { asDeliveryError, attemptOf, describe, windowStart } from './record';
import { retryDelaySeconds } from './retry';
import { type StoryPart, storyPart, writeStories } from './story';

export type { WorkerConfig } from './deliver';

/** The SQS client, or how to get it: a worker needs one only to dead-letter or delay a record. */
export type SqsSource = SQSClient | (() => Promise<SQSClient>);

// The SQS client and its commands (~50 ms to load) on a worker's first failure, not its cold start.
const queueOps = () => import('../aws/queue');

/** Moves a record to the DLQ with why, then counts it; a failed send leaves it to be retried. */
async function deadLetter(
  provider: Provider,
  config: WorkerConfig,
  sqs: () => Promise<SQSClient>,
  record: SQSRecord,
  err: unknown,
  permanent: boolean,
  since: number,
): Promise<string> {
  const attempt = attemptOf(record);
  const hours = ((Date.now() - since) / 3_600_000).toFixed(1);
  const reason = permanent
    ? describe(err)
    : attempt >= config.retry.maxReceiveCount
      ? `retries exhausted after ${attempt} attempts: ${describe(err)}`
      : `gave up after ${hours} h of retries (retry window ${config.retry.windowSeconds} s, ${attempt} receives): ${describe(err)}`;
  const status = (err as { status?: number }).status;
  const firstFailedAt = new Date(Number(record.attributes.ApproximateFirstReceiveTimestamp) || Date.now());
  const { sendToDeadLetter } = await queueOps();
  await sendToDeadLetter(
    await sqs(),
    config.dlqUrl,
    { messageId: record.messageId, body: record.body, groupId: groupOf(record) },
    {
      provider: provider.id,
      reason,
      errorType: err instanceof Error ? err.name : 'Error',
      status,
      attempts: attempt,
      firstFailedAt: firstFailedAt.toISOString(),
      ...(record.attributes.SentTimestamp ? { sentAt: record.attributes.SentTimestamp } : {}),
      ...(record.messageAttributes?.[REDRIVEN_AT]?.stringValue
        ? { redrivenAt: record.messageAttributes[REDRIVEN_AT].stringValue }
        : {}),
    },
  );
  logger.warn('dead-lettered', {
    provider: provider.id,
    messageId: record.messageId,
    attempt,
    status,
    reason,
  });
  const kind =
    err instanceof InvalidMessageError ? 'invalid-message' : permanent ? 'permanent' : 'retries-exhausted';
  metric('DeadLettered', { provider: provider.id, reason: kind });
  return reason;
}

/**
 * SQS FIFO batch handler. Delivered records are deleted; permanent failures, and retryable ones on
 * their last allowed attempt, are moved to the DLQ with the reason and count as handled; other
 * failures are retried after Retry-After or a jittered backoff. A failing record holds back the
 * later records of its canary (order) while other canaries' records still go out.
 */
export function createWorker(
  provider: Provider,
  config: WorkerConfig,
  source: SqsSource,
  pacers = new Map<string, Pacer>(),
) {
  let client: Promise<SQSClient> | undefined;
  const sqs = () => {
    client ??= typeof source === 'function' ? source() : Promise.resolve(source);
    return client;
  };
  // One per destination: platforms limit per webhook or token, and a 429 from one says nothing of another.
  const pacerFor = (name: string) => {
    const known = pacers.get(name);
    if (known) return known;
    const p = createPacer(config.minIntervalMs);
    pacers.set(name, p);
    return p;
  };

  return (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    withOwnLogger(() => handleBatch(event, context));

  async function handleBatch(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    logger.addContext(context);
    config.store?.newBatch?.();
    const delays = new Map<string, number>();
    // Each canary's story is read once and written once, at the batch's end.
    const stories = config.stories && storyBatch(config.stories, config.fleet);

    // Groups run concurrently, so each record logs through a logger of its own (its correlation id).
    const handle = (record: SQSRecord, moreInGroup: boolean) =>
      withOwnLogger(async () => {
        logger.addContext(context);
        // Joins this record's lines to ingest's for the same event.
        logger.appendKeys({
          correlationId: record.messageAttributes?.correlationId?.stringValue ?? record.messageId,
        });
        const attempt = attemptOf(record);
        let queued: QueuedEvent | undefined;
        let story: StoryPart | undefined;
        try {
          queued = parseQueuedBody(record.body);
          // Redeliveries and byte-identical resends share it; any other event, however alike, does not.
          const eventId = queued.id ?? eventIdentity(queued.event);
          story = await storyPart(stories, config.links, queued, eventId, {
            provider: provider.id,
            destination: queued.destination ?? provider.id,
          });
          const outcome = await deliverRecord(
            provider,
            config,
            pacerFor,
            { record, queued, eventId, story, moreInGroup },
            context,
          );
          if (outcome) story.record(outcome);
        } catch (caught) {
          const err = asDeliveryError(caught);
          const permanent = err instanceof PermanentDeliveryError || err instanceof InvalidMessageError;
          const since = windowStart(record, queued);
          // Given up by time, not by receives: only a real attempt that fails after the retry window
          // dead-letters; SQS's receive count is a backstop for workers that crash every time.
          const expired =
            !(err instanceof NotSentError) && Date.now() - since >= config.retry.windowSeconds * 1000;
          if (permanent || expired || attempt >= config.retry.maxReceiveCount) {
            const reason = await deadLetter(provider, config, sqs, record, err, permanent, since);
            const status = (err as { status?: number }).status;
            story?.record({
              state: 'dead-lettered',
              attempts: attempt,
              detail: reason,
              ...(status !== undefined ? { status } : {}),
            });
            return; // handled: the record leaves the main queue and its canary's next events flow
          }
          const seconds = retryDelaySeconds(err, attempt, config.retry);
          delays.set(groupOf(record), seconds);
          logger.warn('delivery failed, will retry', {
            provider: provider.id,
            messageId: record.messageId,
            group: groupOf(record),
            attempt,
            retryInSeconds: seconds,
            error: describe(err),
          });
          metric('DeliveryRetried', { provider: provider.id });
          story?.record({
            state: err instanceof NotSentError ? 'not-sent' : 'retrying',
            attempts: attempt,
            nextTryAt: Date.now() + seconds * 1000,
            detail: describe(err),
          });
          throw err;
        }
      });

    // A slow group does not hold the others back: lib/delivery/busy.ts.
    const first = event.Records[0];
    const busy = busyInvocation({
      queue: {
        url: config.queueUrl,
        arn: first?.eventSourceARN ?? '',
        region: first?.awsRegion ?? config.sqs.region,
      },
      records: event.Records,
      sqs,
      handle,
      delays,
      remainingMs: () => context.getRemainingTimeInMillis(),
      // As lib/infra/stack.ts sizes the function's timeout: a live message makes three calls.
      perRecordMs: config.minIntervalMs + (provider.modes[0] === 'live' ? 3 : 1) * config.timeoutMs,
      forget: () => config.store?.newBatch?.(),
      warn: (message, err) => logger.warn(message, { provider: provider.id, error: describe(err) }),
    });
    const result = await processFifoBatch(event.Records, busy.handle, busy.groupDone);
    await busy.end();
    // Results go to the rollout pages off the delivery path, all done before the batch answers.
    await writeStories(stories, provider.id);

    await busy.delayFailed(event.Records, result);
    return result;
  }
}
