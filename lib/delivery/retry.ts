import { NotSentError, RetryableDeliveryError } from '../errors';

export interface RetryPolicy {
  baseSeconds: number;
  capSeconds: number;
  /**
   * The queue's redrive maxReceiveCount: a backstop for workers that crash every time. The retry
   * window decides otherwise.
   */
  maxReceiveCount: number;
  /** A record still failing this long after it could first be tried is dead-lettered. */
  windowSeconds: number;
}

// SQS caps a message's visibility timeout at 12 hours.
const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"):
 * uniform in [1, min(cap, base × 2^(attempt−1))] seconds. Jitter spreads the retries of many
 * canaries that failed together so they do not hit the webhook again in one burst.
 */
export function backoffSeconds(receiveCount: number, p: RetryPolicy, random = Math.random): number {
  const ceiling = Math.min(p.capSeconds, p.baseSeconds * 2 ** Math.max(0, receiveCount - 1));
  return Math.max(1, Math.round(random() * ceiling));
}

/** How long the record stays invisible before the next attempt: Retry-After when given, exactly. */
export function retryDelaySeconds(
  err: unknown,
  receiveCount: number,
  p: RetryPolicy,
  random = Math.random,
): number {
  const asked = err instanceof RetryableDeliveryError ? err.retryAfterSeconds : undefined;
  const delay = asked !== undefined ? Math.ceil(asked) : backoffSeconds(receiveCount, p, random);
  // Receives that make no attempt (waiting out a rate limit) come back no more often than the
  // window allows within the receive backstop: 2 h over 900 receives is one every 8 s.
  const floor = err instanceof NotSentError ? Math.ceil(p.windowSeconds / (0.9 * p.maxReceiveCount)) : 0;
  return Math.min(MAX_VISIBILITY_SECONDS, Math.max(delay, floor));
}
