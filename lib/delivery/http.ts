import { request } from 'undici';
import { PermanentDeliveryError, RetryableDeliveryError } from '../errors';
import { hostOf } from '../redact';

// Error bodies are quoted in logs to say *why* (Slack answers `invalid_payload`, `no_service`, …);
// a short cap keeps a misbehaving server from flooding them.
const MAX_ERROR_BODY = 300;

export interface PostOptions {
  timeoutMs: number;
  /** Channel name used in error messages, never the URL (it is a credential). */
  label: string;
}

/**
 * POST JSON and classify the outcome: 2xx resolves; 408, 429 and 5xx, timeouts and network errors
 * throw RetryableDeliveryError; every other status throws PermanentDeliveryError.
 */
export async function postJson(
  url: string,
  payload: unknown,
  opts: PostOptions,
): Promise<{ status: number }> {
  const where = `${opts.label} webhook (${hostOf(url)})`;
  let res: Awaited<ReturnType<typeof request>>;
  let body: string;
  try {
    // One deadline for connect + headers + body: a server that trickles its answer cannot hold us.
    res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    body = await res.body.text();
  } catch (err) {
    throw new RetryableDeliveryError(`${where}: ${describeNetworkError(err, opts.timeoutMs)}`);
  }
  const status = res.statusCode;
  if (status >= 200 && status < 300) return { status };
  const detail = `${where} answered ${status}${body ? `: ${body.slice(0, MAX_ERROR_BODY)}` : ''}`;
  if (status === 408 || status === 429 || status >= 500) {
    throw new RetryableDeliveryError(detail, status, parseRetryAfter(res.headers['retry-after']));
  }
  throw new PermanentDeliveryError(detail, status);
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
    const code = (err as { code?: string }).code;
    // undici's messages can embed the request URL; the code alone says what happened.
    return code ? `network error ${code}` : `network error ${err.name}`;
  }
  return 'network error';
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
