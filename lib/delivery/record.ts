import type { SQSRecord } from 'aws-lambda';
import { type QueuedEvent, REDRIVEN_AT } from '../aws/envelope';
import { UnprocessableEventError } from '../errors';

// What the worker reads off a record and an error: attempts, the retry window, latencies.

export const attemptOf = (r: SQSRecord) => Number(r.attributes.ApproximateReceiveCount) || 1;
/** When the record could first have been tried: its first receive (its send, if unknown). */
export const firstReceivedAt = (r: SQSRecord) =>
  Number(r.attributes.ApproximateFirstReceiveTimestamp) || Number(r.attributes.SentTimestamp) || Date.now();
export const describe = (err: unknown) =>
  err instanceof Error ? `${err.name}: ${err.message}` : String(err);

/**
 * When the retry window started: when ingest accepted the event, so a canary's backlog behind a
 * dead destination gives up together, about one window after its first event; or when a redrive
 * gave it another chance.
 */
export function windowStart(record: SQSRecord, queued?: QueuedEvent): number {
  const redriven = Number(record.messageAttributes?.[REDRIVEN_AT]?.stringValue);
  if (redriven > 0) return redriven;
  const accepted = queued ? Date.parse(queued.receivedAt) : Number.NaN;
  return Number.isFinite(accepted) ? accepted : firstReceivedAt(record);
}

/**
 * An error of the language itself (RangeError from a date no Date can hold, a TypeError from an
 * odd value) escaping a formatter or the rollout tracker: the same event fails the same way on
 * every try, so it is dead-lettered at once with the reason instead of blocking its canary.
 * Transport and AWS errors are never of these types (lib/delivery/http.ts types its own).
 */
export function asDeliveryError(err: unknown): unknown {
  const builtin =
    err instanceof TypeError ||
    err instanceof RangeError ||
    err instanceof SyntaxError ||
    err instanceof ReferenceError ||
    err instanceof URIError;
  return builtin ? new UnprocessableEventError(`could not format the event: ${describe(err)}`) : err;
}

/**
 * Flagger's timestamp → now, when that is a latency: a replayed or hand-posted old event (the
 * samples are from 2025) would report years, so beyond a day (or minutes ahead, clock skew
 * aside) there is none.
 */
export function sinceFlagger(timestamp: string, now = Date.now()): number | undefined {
  const ms = now - Number(timestamp);
  if (!Number.isFinite(ms) || ms < -300_000 || ms > 86_400_000) return undefined;
  return Math.max(0, ms);
}
