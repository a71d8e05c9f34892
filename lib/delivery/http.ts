import { channel } from 'node:diagnostics_channel';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { PermanentDeliveryError, RetryableDeliveryError } from '../errors';
import { hostOf } from '../redact';

// Error bodies are quoted in logs to say *why* (Slack answers `invalid_payload`, Discord a JSON
// error with a code, …); a short cap keeps a misbehaving server from flooding them.
const MAX_ERROR_BODY = 300;

/** A platform's answer, with its body read once and parsed when it is JSON. */
export interface HttpAnswer {
  status: number;
  /** Header lookup by name, any case; `null` when absent (the fetch `Headers` shape). */
  headers: { get(name: string): string | null };
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
  /** GET sends no body (a lookup, such as finding a Grafana region whose create answer was lost). */
  method?: 'POST' | 'PATCH' | 'PUT' | 'GET';
  /** How the payload is sent: JSON (default), or a form (OAuth's token endpoint takes only that). */
  encoding?: 'json' | 'form';
  /** Not shown in npm start's inbox: a request whose payload is a credential (a token request). */
  private?: boolean;
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

/** What was delivered: the local inbox mirrors it (npm start); nothing subscribes in Lambda. */
export interface Delivered {
  provider: string;
  method: string;
  /** The destination URL: a secret, never to be logged or shown (`hostOf` it). */
  url: string;
  payload: unknown;
  answer: unknown;
}
/** Published on each accepted request, at no cost while nobody subscribes. */
export const deliveries = channel('flagger-notify:delivered');

/**
 * POST JSON and classify the outcome: 2xx resolves with the answer; 408, 429 and 5xx, timeouts
 * and network errors throw RetryableDeliveryError; every other status PermanentDeliveryError.
 */
export async function postJson(url: string, payload: unknown, opts: PostOptions): Promise<HttpAnswer> {
  const where = `${opts.label} ${opts.kind ?? 'webhook'} (${hostOf(url)})`;
  const form = opts.encoding === 'form';
  const body =
    opts.method === 'GET'
      ? ''
      : form
        ? new URLSearchParams(payload as Record<string, string>).toString()
        : JSON.stringify(payload);
  let answer: HttpAnswer;
  try {
    answer = await send(
      url,
      opts.method ?? 'POST',
      opts.method === 'GET'
        ? { ...opts.headers }
        : {
            'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json',
            ...opts.headers,
            ...opts.sign?.(body),
          },
      body,
      opts.timeoutMs,
    );
  } catch (err) {
    throw new RetryableDeliveryError(`${where}: ${describeNetworkError(err, opts.timeoutMs)}`);
  }
  opts.check?.(answer, where);
  const { status, text } = answer;
  if (status >= 200 && status < 300) {
    if (deliveries.hasSubscribers && opts.method !== 'GET' && !opts.private) {
      const d: Delivered = {
        provider: opts.label,
        method: opts.method ?? 'POST',
        url,
        payload,
        answer: answer.json,
      };
      deliveries.publish(d);
    }
    return answer;
  }
  const detail = `${where} answered ${status}${text ? `: ${text.slice(0, MAX_ERROR_BODY)}` : ''}`;
  if (status === 408 || status === 429 || status >= 500) {
    throw new RetryableDeliveryError(detail, status, parseRetryAfter(answer.headers.get('retry-after')));
  }
  throw new PermanentDeliveryError(detail, status);
}

/** `where answered status: body`, capped: for checks that build their own errors. */
export const describeAnswer = (a: HttpAnswer, where: string): string =>
  `${where} answered ${a.status}${a.text ? `: ${a.text.slice(0, MAX_ERROR_BODY)}` : ''}`;

/**
 * One request over node:http(s) and its keep-alive global agents. Node's fetch costs ~0.09 ms more
 * per call on loopback (bench/results.md), and the undici package would add ~700 KB to every
 * worker bundle. One deadline covers connect, headers and body: a server that trickles its answer
 * cannot hold the worker. Redirects are never followed: a 3xx is answered as what it is.
 */
function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  fresh = false,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    let answered = false;
    const req = request(
      url,
      {
        method,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('close', () => {
          // A reset or the deadline after the headers: the answer is incomplete, not an answer.
          if (!res.complete)
            return reject(Object.assign(new Error('answer cut short'), { code: 'ECONNRESET' }));
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: headerLookup(res.headers),
            text,
            json: parseJson(res, text),
          });
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      // A kept-alive connection the server closed while the function was frozen between
      // invocations: the request never reached it, so it is sent once more on a new connection
      // (the pattern Node's docs give for request.reusedSocket).
      if (req.reusedSocket && !fresh && err.code === 'ECONNRESET' && !answered)
        return resolve(send(url, method, headers, body, timeoutMs, true));
      reject(err);
    });
    req.end(body);
  });
}

const headerLookup = (h: IncomingHttpHeaders): HttpAnswer['headers'] => ({
  get: (name) => {
    const v = h[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  },
});

function parseJson(res: IncomingMessage, text: string): unknown {
  if (!text || !/json/i.test(res.headers['content-type'] ?? '')) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
    // The code (ECONNRESET, ECONNREFUSED, …) says what happened. Messages can embed the request
    // URL, a credential, so they are never quoted.
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
