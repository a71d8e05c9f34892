import type { Context, SQSRecord } from 'aws-lambda';
import type { QueuedEvent, SqsSettings } from '../aws/envelope';
import { type MetricName, recordAll } from '../aws/metrics';
import { InvalidMessageError, NotSentError, RetryableDeliveryError } from '../errors';
import { classify } from '../event/classify';
import { canaryId, eventTime } from '../event/event';
import { plainText } from '../event/text';
import { logger } from '../log';
import { own } from '../own';
import type { Destination, Provider, SendResult, Wording } from '../providers/provider';
import type { FleetStore } from '../rollouts/fleet';
import { type HeldStore, quietHolds, withHeld } from '../rollouts/held';
import { milestoneGate } from '../rollouts/milestones';
import type { RolloutStore } from '../rollouts/state';
import type { DeliveryResult, StoryStore } from '../rollouts/story';
import { retrying } from '../rollouts/story-log';
import type { Rollout } from '../rollouts/tracker';
import type { Once } from './once';
import type { Pacer } from './pacer';
import { attemptOf, sinceFlagger } from './record';
import type { RetryPolicy } from './retry';
import type { LinkSettings, StoryPart } from './story';

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
  /**
   * Quiet hours (docs/routing.md): when the destination's (or its route's) quiet stretch ends, if
   * `now` is inside one, and how to say it; undefined where neither has quiet hours.
   */
  quiet?: (queued: QueuedEvent, now: number) => { until: number; when: string } | undefined;
  /** Where quiet hours keep what they hold, until the status run summarises it. */
  held?: HeldStore;
  /** The fleet index (docs/fleet.md), moved once per rollout by the story's writer. */
  fleet?: FleetStore;
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

/**
 * What a record's attempt came to, for its rollout page; undefined when it has nothing to show
 * (already delivered, not a milestone, nothing to send), which spares the story a write.
 */
export type Outcome = Omit<DeliveryResult, 'at'> | undefined;

/** One queued event for one destination, as the worker hands it over. */
export interface Delivery {
  record: SQSRecord;
  queued: QueuedEvent;
  eventId: string;
  story: Pick<StoryPart, 'link' | 'rollout'> | undefined;
  moreInGroup: boolean;
}

const MODE = { all: 'the event', live: 'the live message', milestones: 'a milestone' } as const;

/**
 * Formats and delivers one queued event; throws (typed) when it was not delivered. Only the
 * platform calls wait for the destination's turn: the state table's reads and writes around them
 * (is it delivered, is it a milestone, record it) run meanwhile for the destination's other canaries.
 */
export async function deliverRecord(
  provider: Provider,
  config: WorkerConfig,
  pacer: (destination: string) => Pacer,
  d: Delivery,
  context: Context,
): Promise<Outcome> {
  const { event } = d.queued;
  const name = d.queued.destination ?? provider.id;
  const destination = own(config.destinations, name);
  // Removed from the routing file since it was queued: keep it, with the reason, for a redrive.
  if (!destination) throw new InvalidMessageError(`unknown ${provider.id} destination "${name}"`);
  const where = { provider: provider.id, destination: name, canary: canaryId(event) };
  // Milestones and live messages keep their own record of what was done; every-event
  // destinations record completed deliveries per event, so a crashed batch or a resend of the
  // same bytes does not post them twice.
  const once = destination.events === 'all' ? config.once : undefined;
  const onceKey = `${provider.id}#${name}#${d.eventId}`;
  if (once && (await once.delivered(onceKey))) {
    logger.info('already delivered, not sent again', { ...where, messageId: d.record.messageId });
    return undefined;
  }
  const gate =
    destination.events === 'milestones' && config.store
      ? await milestoneGate(config.store, name, event, d.eventId)
      : undefined;
  if (gate && !gate.send) {
    // Most events of a rollout: a line each would be most of the log bill, and says nothing new.
    logger.debug('not a milestone, not sent', where);
    // Nothing for the page either: a milestones destination's results are its milestones.
    return undefined;
  }
  const held = await holdForQuiet(config, d, name);
  if (held) {
    // Held is as good as sent for this destination's records: the summary tells it.
    await gate?.done();
    if (once) await once.record(onceKey);
    logger.info('held for quiet hours', { ...where, until: new Date(held.until).toISOString() });
    return {
      state: 'held',
      detail: `held until ${held.when} (quiet hours; then one summary)`,
      nextTryAt: held.until,
    };
  }
  let sent: SendResult & { ms: number };
  try {
    // One event at a time per destination, in its turn; other destinations' records run meanwhile.
    sent = await pacer(name).exclusive(() =>
      attempt(config, pacer(name), destination, d, context, gate?.startedAt),
    );
  } catch (err) {
    // A milestone not sent is saved as pending, for the retry (or on its dead-lettered rollout).
    await gate?.failed();
    throw err;
  }
  const unrecorded = once && (await once.record(onceKey));
  if (unrecorded) {
    logger.warn('delivered, but not recorded as delivered: a resend of these bytes would post again', {
      ...where,
      error: unrecorded,
    });
  }
  await gate?.done();
  const { status, calls, ms } = sent;
  if (calls === 0) {
    // Applied to the rollout, nothing to send (no alert changed, a redraw left for the batch's last).
    logger.debug('applied, nothing sent', where);
    return undefined;
  }
  const endToEndMs = sinceFlagger(event.metadata.timestamp);
  logger.info('delivered', {
    ...where,
    messageId: d.record.messageId,
    status,
    ...(calls !== undefined ? { calls } : {}),
    attempt: attemptOf(d.record),
    ms,
    // Accepted by ingest → delivered: what the relay itself took, queueing and retries included.
    relayMs: Date.now() - Date.parse(d.queued.receivedAt),
    ...(endToEndMs !== undefined ? { endToEndMs } : {}),
  });
  recordAll({ provider: provider.id }, [
    ['MessagesDelivered', 1],
    ['DeliveryLatency', ms],
    ...(endToEndMs !== undefined ? [['EndToEndLatency', endToEndMs] as [MetricName, number]] : []),
  ]);
  return {
    state: 'delivered',
    status,
    attempts: attemptOf(d.record),
    sent: `${MODE[destination.events]}${calls !== undefined ? ` (${calls} call${calls === 1 ? '' : 's'})` : ''}`,
  };
}

/**
 * Inside quiet hours, a message that may wait is kept in the destination's held messages (once,
 * by identity) instead of sent; failures, rollbacks and approvals waiting are never held.
 */
async function holdForQuiet(
  config: WorkerConfig,
  d: Delivery,
  destination: string,
): Promise<{ until: number; when: string } | undefined> {
  if (!config.quiet || !config.held) return undefined;
  const { event } = d.queued;
  const c = classify(event);
  if (!quietHolds(c.kind)) return undefined;
  const quiet = config.quiet(d.queued, Date.now());
  if (!quiet) return undefined;
  const store = config.held;
  const message = {
    id: d.eventId,
    canary: canaryId(event),
    kind: c.kind,
    message: plainText(event.metadata.eventMessage, HELD_TEXT_MAX),
    at: eventTime(event).getTime(),
  };
  await retrying(async () => {
    const got = await store.get(destination);
    const next = withHeld(got?.value, message, quiet);
    if (next) await store.put(destination, next, got?.version ?? 0);
  });
  return quiet;
}

const HELD_TEXT_MAX = 300;

/** The platform calls themselves, in the destination's turn. */
async function attempt(
  config: WorkerConfig,
  pacer: Pacer,
  destination: Destination,
  d: Delivery,
  context: Context,
  rolloutStartedAt: number | undefined,
): Promise<SendResult & { ms: number }> {
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
  const link = d.story?.link;
  const wording = config.wording?.(d.queued, d.story?.rollout, link);
  try {
    const result = await destination.sender.send(d.queued.event, {
      timeoutMs: config.timeoutMs,
      messageId: d.record.messageId,
      eventId: d.eventId,
      moreInGroup: d.moreInGroup,
      redelivered: attemptOf(d.record) > 1,
      ...(link ? { links: { rollout: link } } : {}),
      ...(wording ? { wording } : {}),
      ...(live ? { pace: () => pacer.turn() } : {}),
      ...(rolloutStartedAt !== undefined ? { rolloutStartedAt } : {}),
    });
    // The bucket is empty: the destination's next event waits, whoever sends it.
    if (result.waitSeconds) pacer.block(result.waitSeconds);
    return { ...result, ms: Math.round(performance.now() - started) };
  } catch (err) {
    if (err instanceof RetryableDeliveryError && err.status === 429 && err.retryAfterSeconds !== undefined) {
      pacer.block(err.retryAfterSeconds);
    }
    throw err;
  }
}
