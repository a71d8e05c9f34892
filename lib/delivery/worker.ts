import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type MetricName, record as metric, recordAll } from '../aws/metrics';
import {
  delayRedelivery,
  parseQueuedBody,
  type QueuedEvent,
  REDRIVEN_AT,
  type SqsSettings,
  sendToDeadLetter,
} from '../aws/queue';
import { InvalidMessageError, NotSentError, PermanentDeliveryError, RetryableDeliveryError } from '../errors';
import { canaryId } from '../event/event';
import { eventIdentity } from '../event/identity';
import { logger, withOwnLogger } from '../log';
import type { Destination, Provider, Wording } from '../providers/provider';
import { milestoneGate } from '../rollouts/milestones';
import type { RolloutStore } from '../rollouts/state';
import type { DeliveryResult, StoryStore } from '../rollouts/story';
import { storyBatch } from '../rollouts/story-log';
import type { Rollout } from '../rollouts/tracker';
import { groupOf, processFifoBatch } from './batch';
import type { Once } from './once';
import { createPacer, type Pacer } from './pacer';
import { asDeliveryError, attemptOf, describe, sinceFlagger, windowStart } from './record';
import { type RetryPolicy, retryDelaySeconds } from './retry';
import { type LinkSettings, type StoryPart, storyPart, writeStories } from './story';

/** A provider's worker, as composed at cold start (lib/config/worker.ts). */
export interface WorkerConfig {
  /** By name; without a routing file, one named after the provider. */
  destinations: Record<string, Destination>;
  timeoutMs: number;
  /** The provider's queue (for ChangeMessageVisibility) and its dead-letter queue. */
  queueUrl: string;
  dlqUrl: string;
  retry: RetryPolicy;
  /** Minimum spacing between calls to one destination from one worker instance. */
  minIntervalMs: number;
  sqs: SqsSettings;
  /** Rollout state, when a destination sends milestones or keeps a live message. */
  store?: RolloutStore;
  /** Records completed deliveries (every-event destinations), where there is a state table. */
  once?: Once;
  /** Rollout stories for the rollout pages, where there is a state table. */
  stories?: StoryStore;
  /** Signs the page link each message carries (LINK_SECRET); without it, messages carry none. */
  links?: LinkSettings;
  /**
   * The destination's or its route's own wording for an event (docs/templates.md); undefined where
   * neither has a template. A template that cannot render this event gives the default wording.
   */
  wording?: (
    queued: QueuedEvent,
    rollout: Rollout | undefined,
    link: string | undefined,
  ) => Wording | undefined;
}

/** What a record's attempt came to, for its rollout page; undefined when nothing new happened. */
type Outcome = Omit<DeliveryResult, 'at'> | undefined;

/** Format and deliver one queued event; throws (typed) when it was not delivered. */
async function deliverRecord(
  provider: Provider,
  config: WorkerConfig,
  pacerFor: (destination: string) => Pacer,
  record: SQSRecord,
  queued: QueuedEvent,
  eventId: string,
  story: Pick<StoryPart, 'link' | 'rollout'> | undefined,
  context: Context,
  moreInGroup: boolean,
): Promise<Outcome> {
  const { event } = queued;
  const link = story?.link;
  const name = queued.destination ?? provider.id;
  const destination = config.destinations[name];
  // Removed from the routing file since it was queued: keep it, with the reason, for a redrive.
  if (!destination) throw new InvalidMessageError(`unknown ${provider.id} destination "${name}"`);
  const gate =
    destination.events === 'milestones' && config.store
      ? await milestoneGate(config.store, name, event, eventId)
      : undefined;
  if (gate && !gate.send) {
    logger.info('not a milestone, not sent', {
      provider: provider.id,
      destination: name,
      canary: canaryId(event),
    });
    return { state: 'not-sent', detail: 'not a milestone of its rollout' };
  }
  const pacer = pacerFor(name);
  // One event at a time per destination, in its turn; other destinations' records run meanwhile.
  const attempt = async (): Promise<Outcome> => {
    const blocked = pacer.blockedMs();
    if (blocked > 0) {
      // The platform said 429 + Retry-After (or an empty rate-limit bucket): sending now would only
      // earn another 429.
      throw new NotSentError('not sent: waiting out the destination’s rate limit', 429, blocked / 1000);
    }
    if (context.getRemainingTimeInMillis() < config.timeoutMs + config.minIntervalMs + 1000) {
      throw new NotSentError('not sent: too little function time left for another attempt', undefined, 0);
    }
    // A live message paces each of its calls (none when its redraw waits for the batch's last
    // record); every other sender makes one call per event.
    const live = destination.events === 'live';
    if (!live) await pacer.turn();
    const started = performance.now();
    const wording = config.wording?.(queued, story?.rollout, link);
    try {
      const send = () =>
        destination.sender.send(event, {
          timeoutMs: config.timeoutMs,
          messageId: record.messageId,
          eventId,
          moreInGroup,
          ...(link ? { links: { rollout: link } } : {}),
          ...(wording ? { wording } : {}),
          ...(live ? { pace: () => pacer.turn() } : {}),
          ...(gate ? { rolloutStartedAt: gate.startedAt } : {}),
        });
      // Milestones and live messages keep their own record of what was done; every-event
      // destinations record completed deliveries per event, so a crashed batch or a resend of the
      // same bytes does not post them twice.
      const { status, waitSeconds, calls, repeated, unrecorded }: Awaited<ReturnType<Once>> =
        destination.events === 'all' && config.once
          ? await config.once(`${provider.id}#${name}#${eventId}`, send)
          : await send();
      if (unrecorded) {
        logger.warn('delivered, but not recorded as delivered: a resend of these bytes would post again', {
          provider: provider.id,
          destination: name,
          error: unrecorded,
        });
      }
      if (repeated) {
        logger.info('already delivered, not sent again', {
          provider: provider.id,
          destination: name,
          canary: canaryId(event),
          messageId: record.messageId,
        });
        return undefined;
      }
      if (waitSeconds) pacer.block(waitSeconds);
      await gate?.done();
      if (calls === 0) {
        // Applied to the rollout, nothing to send (no alert changed, a redraw left for the batch's last).
        logger.debug('applied, nothing sent', {
          provider: provider.id,
          destination: name,
          canary: canaryId(event),
        });
        return { state: 'not-sent', detail: 'nothing to send (no change, or left for a later redraw)' };
      }
      const ms = Math.round(performance.now() - started);
      const endToEndMs = sinceFlagger(event.metadata.timestamp);
      logger.info('delivered', {
        provider: provider.id,
        destination: name,
        canary: canaryId(event),
        messageId: record.messageId,
        status,
        ...(calls !== undefined ? { calls } : {}),
        attempt: attemptOf(record),
        ms,
        // Accepted by ingest → delivered: what the relay itself took, queueing and retries included.
        relayMs: Date.now() - Date.parse(queued.receivedAt),
        ...(endToEndMs !== undefined ? { endToEndMs } : {}),
      });
      recordAll({ provider: provider.id }, [
        ['MessagesDelivered', 1],
        ['DeliveryLatency', ms],
        ...(endToEndMs !== undefined ? [['EndToEndLatency', endToEndMs] as [MetricName, number]] : []),
      ]);
      const mode =
        destination.events === 'all'
          ? 'the event'
          : destination.events === 'live'
            ? 'the live message'
            : 'a milestone';
      return {
        state: 'delivered',
        status,
        attempts: attemptOf(record),
        sent: `${mode}${calls !== undefined ? ` (${calls} call${calls === 1 ? '' : 's'})` : ''}`,
      };
    } catch (err) {
      if (
        err instanceof RetryableDeliveryError &&
        err.status === 429 &&
        err.retryAfterSeconds !== undefined
      ) {
        pacer.block(err.retryAfterSeconds);
      }
      throw err;
    }
  };
  // A milestone not sent is saved as pending, for the retry (or on its dead-lettered rollout).
  return pacer.exclusive(attempt).catch(async (err) => {
    await gate?.failed();
    throw err;
  });
}

/** Moves a record to the DLQ with why, then counts it; a failed send leaves it to be retried. */
async function deadLetter(
  provider: Provider,
  config: WorkerConfig,
  sqs: SQSClient,
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
  await sendToDeadLetter(
    sqs,
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
  sqs: SQSClient,
  pacers = new Map<string, Pacer>(),
) {
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
    const stories = config.stories && storyBatch(config.stories);

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
          story = await storyPart(stories, config.links, queued.event, eventId, {
            provider: provider.id,
            destination: queued.destination ?? provider.id,
          });
          const outcome = await deliverRecord(
            provider,
            config,
            pacerFor,
            record,
            queued,
            eventId,
            story,
            context,
            moreInGroup,
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

    const result = await processFifoBatch(event.Records, handle);
    // Results go to the rollout pages off the delivery path, all done before the batch answers.
    await writeStories(stories, provider.id);

    // The failed record and the skipped later records of its canary come back together after the delay.
    const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
    const entries = event.Records.filter((r) => failed.has(r.messageId) && delays.has(groupOf(r))).map(
      (r) => ({
        receiptHandle: r.receiptHandle,
        seconds: delays.get(groupOf(r)) as number,
      }),
    );
    try {
      await delayRedelivery(sqs, config.queueUrl, entries);
    } catch (err) {
      // Not fatal: the records still come back after the queue's visibility timeout.
      logger.warn('could not set retry delay', { provider: provider.id, error: describe(err) });
    }
    return result;
  }
}
