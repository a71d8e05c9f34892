import { describeAnswer, type HttpAnswer, postJson } from '../../delivery/http';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../errors';
import { LiveMessageGoneError } from '../live';

/**
 * Slack's Web API answers 200 with `{"ok":false,"error":code}` (docs.slack.dev, "Web API basics");
 * the code decides what to do. Transient codes are retried; these say the live message is gone
 * or frozen, so the rollout continues in a new one.
 */
const GONE = new Set([
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
  'is_inactive',
  'cannot_reply_to_message',
  'restricted_action_thread_locked',
]);
const TRANSIENT = new Set([
  'internal_error',
  'service_unavailable',
  'request_timeout',
  'team_added_to_org',
  'update_failed',
  'external_channel_migrating',
  'streaming_state_conflict',
  // "It's possible some aspect of the operation succeeded": the caller knows what that risks.
  'fatal_error',
]);

/**
 * A call Slack answered `ok: false`, retried or dead-lettered as its code says, carrying the code
 * (same names as their parents, so logs and dead letters read as before).
 */
export class SlackRetryableError extends RetryableDeliveryError {
  constructor(
    message: string,
    readonly code: string,
    status: number,
    retryAfterSeconds?: number,
  ) {
    super(message, status, retryAfterSeconds);
  }
}
export class SlackPermanentError extends PermanentDeliveryError {
  constructor(
    message: string,
    readonly code: string,
    status: number,
  ) {
    super(message, status);
  }
}

/** Slack's error code, when the call failed with one (ratelimited, fatal_error, …). */
export const slackCode = (err: unknown): string | undefined =>
  err instanceof SlackRetryableError ||
  err instanceof SlackPermanentError ||
  err instanceof LiveMessageGoneError
    ? err.code
    : undefined;

function classify(a: HttpAnswer, where: string): void {
  const body = a.json as { ok?: boolean; error?: string } | undefined;
  if (a.status !== 200 || body?.ok !== false) {
    if (a.status === 200 && body?.ok !== true) {
      throw new RetryableDeliveryError(`${describeAnswer(a, where)} (not a Web API answer)`, a.status);
    }
    return;
  }
  const code = String(body.error ?? 'unknown_error');
  const detail = `${where}: ${code}`;
  if (code === 'ratelimited' || code === 'rate_limited') {
    const after = Number(a.headers.get('retry-after'));
    throw new SlackRetryableError(detail, code, 429, Number.isFinite(after) && after > 0 ? after : undefined);
  }
  if (GONE.has(code)) throw new LiveMessageGoneError(code);
  if (TRANSIENT.has(code)) throw new SlackRetryableError(detail, code, 200);
  // Auth and channel errors (invalid_auth, token_revoked, missing_scope, channel_not_found,
  // not_in_channel, is_archived, …) and payload errors: no retry fixes them.
  throw new SlackPermanentError(detail, code, 200);
}

export interface SlackApi {
  call<T = Record<string, unknown>>(method: string, body: Record<string, unknown>): Promise<T>;
}

/**
 * A Web API method called with the bot token, as Flagger, Flux and Alertmanager do: a plain POST,
 * no SDK (whose defaults retry for half an hour inside the function). The token is never in an
 * error: only the host and Slack's code are.
 */
export function slackApi(baseUrl: string, token: string, timeoutMs: () => number): SlackApi {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    async call<T>(method: string, body: Record<string, unknown>): Promise<T> {
      const answer = await postJson(`${base}/${method}`, body, {
        timeoutMs: timeoutMs(),
        label: 'slack-app',
        kind: `API ${method}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
        check: classify,
      });
      return answer.json as T;
    },
  };
}
