/** A setting is missing or malformed: thrown at cold start so the function never half-works. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The destination may accept the message later (429, 5xx, timeout, reset): retry it. */
export class RetryableDeliveryError extends Error {
  override name = 'RetryableDeliveryError';
  constructor(
    message: string,
    readonly status?: number,
    /** Seconds the destination asked us to wait (Retry-After), when it said. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** A versioned record in the state table moved on since it was read: read it again and retry. */
export class StateConflictError extends RetryableDeliveryError {
  override name = 'StateConflictError';
}

/**
 * Not sent at all this time (the destination's rate limit runs, too little function time left):
 * retried, and never counted as a failed attempt towards the retry window.
 */
export class NotSentError extends RetryableDeliveryError {
  override name = 'NotSentError';
}

/** The destination will never accept this message as sent (4xx other than 408/429): dead-letter it. */
export class PermanentDeliveryError extends Error {
  override name = 'PermanentDeliveryError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A queue message that no retry can fix (not JSON, not our envelope): dead-letter it. */
export class InvalidMessageError extends Error {
  override name = 'InvalidMessageError';
}

/**
 * The event cannot be turned into a message (a formatter or the rollout tracker threw on it): the
 * same event fails the same way every time, so it is dead-lettered at once with the reason.
 */
export class UnprocessableEventError extends PermanentDeliveryError {
  override name = 'UnprocessableEventError';
}
