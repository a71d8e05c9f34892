import { PermanentDeliveryError, RetryableDeliveryError } from '../errors';
import { hostOf } from '../redact';

// Error bodies are quoted in logs to say *why* (Slack answers `invalid_payload`, Discord a JSON
// error with a code, …); a short cap keeps a misbehaving server from flooding them.
const MAX_ERROR_BODY = 300;

/** A platform's answer, with its body read once and parsed when it is JSON. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  json?: unknown;
}

export interface PostOptions {
  timeoutMs: number;
  /** Who is called, for error messages (`discord` → "discord webhook (host)"); never the URL. */
  label: string;
  /** What is called, after the label: `webhook` unless said (`API chat.update`). */
  kind?: string;
  /** POST unless said: Discord edits a message with PATCH. */
  method?: 'POST' | 'PATCH';
  headers?: Record<string, string>;
  /** Headers computed over the exact bytes sent, e.g. an HMAC signature. */
  sign?: (body: string) => Record<string, string>;
  /**
   * Looks into an answer the status alone does not explain: Slack's Web API answers 200 with
   * `ok:false`, Discord's 429 carries `retry_after` in its JSON. Throw a typed error to override
   * the default classification; return to accept it.
   */
  check?: (answer: HttpAnswer, where: string) => void;
}

/**
 * POST JSON and classify the outcome: 2xx resolves with the answer; 408, 429 and 5xx, timeouts
 * and network errors throw RetryableDeliveryError; every other status PermanentDeliveryError.
 * Node's built-in fetch (undici inside the runtime) keeps the HTTP client out of every bundle.
 */
export async function postJson(url: string, payload: unknown, opts: PostOptions): Promise<HttpAnswer> {
  const where = `${opts.label} ${opts.kind ?? 'webhook'} (${hostOf(url)})`;
  const body = JSON.stringify(payload);
  let answer: HttpAnswer;
  try {
    // One deadline for connect + headers + body: a server that trickles its answer cannot hold us.
    const res = await fetch(url, {
      method: opts.method ?? 'POST',
      headers: { 'content-type': 'application/json', ...opts.headers, ...opts.sign?.(body) },
      body,
      signal: AbortSignal.timeout(opts.timeoutMs),
      // A redirect is answered as what it is (a permanent 3xx), never followed to another host.
      redirect: 'manual',
    });
    const text = await res.text();
    answer = { status: res.status, headers: res.headers, text, json: parseJson(res, text) };
  } catch (err) {
    throw new RetryableDeliveryError(`${where}: ${describeNetworkError(err, opts.timeoutMs)}`);
  }
  opts.check?.(answer, where);
  const { status, text } = answer;
  if (status >= 200 && status < 300) return answer;
  const detail = `${where} answered ${status}${text ? `: ${text.slice(0, MAX_ERROR_BODY)}` : ''}`;
  if (status === 408 || status === 429 || status >= 500) {
    throw new RetryableDeliveryError(detail, status, parseRetryAfter(answer.headers.get('retry-after')));
  }
  throw new PermanentDeliveryError(detail, status);
}

/** `where answered status: body`, capped: for checks that build their own errors. */
export const describeAnswer = (a: HttpAnswer, where: string): string =>
  `${where} answered ${a.status}${a.text ? `: ${a.text.slice(0, MAX_ERROR_BODY)}` : ''}`;

function parseJson(res: Response, text: string): unknown {
  if (!text || !/json/i.test(res.headers.get('content-type') ?? '')) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
    // fetch wraps the cause; its code (ECONNRESET, ECONNREFUSED, …) says what happened. The
    // messages can embed the request URL, a credential, so they are never quoted.
    const code = (err.cause as { code?: string } | undefined)?.code ?? (err as { code?: string }).code;
    if (code) return `network error ${code}`;
    return `network error ${err.name}`;
  }
  return 'network error';
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(
  value: string | string[] | null | undefined,
  now = Date.now(),
): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v.trim());
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
