import { gunzipSync } from 'node:zlib';
import { presentedToken, tokenMatches } from './auth';
import type { IngestConfig } from './config';
import { canaryId, type FlaggerEvent, parseFlaggerEvent } from './event';
import { logger } from './log';

export const MAX_BODY_BYTES = 64 * 1024;

/** An HTTP request reduced to what ingest looks at; header names lower-case. */
export interface IngestRequest {
  method: string;
  headers: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  body: Buffer;
}

export interface IngestResponse {
  statusCode: number;
  body: Record<string, unknown>;
}

export interface IngestDeps {
  config: IngestConfig;
  /** Put the event on one channel's queue; rejects when the queue is unreachable. */
  enqueue(channel: { id: string; queueUrl: string }, event: FlaggerEvent, receivedAt: Date): Promise<unknown>;
  now?: () => Date;
}

const fail = (statusCode: number, error: string, details?: string[]): IngestResponse => ({
  statusCode,
  body: details ? { error, details } : { error },
});

/**
 * Undo a Content-Encoding. gzip is inflated with a cap, so a small "zip bomb" cannot blow past the
 * body limit; anything else is refused rather than misread.
 */
function decode(raw: Buffer, encoding: string | undefined): { text: string } | { error: IngestResponse } {
  const enc = encoding?.trim().toLowerCase();
  if (!enc || enc === 'identity') return { text: raw.toString('utf8') };
  if (enc !== 'gzip')
    return {
      error: fail(
        415,
        `content-encoding ${JSON.stringify(enc.slice(0, 20))} is not supported; send gzip or none`,
      ),
    };
  try {
    return { text: gunzipSync(raw, { maxOutputLength: MAX_BODY_BYTES }).toString('utf8') };
  } catch (err) {
    return (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
      ? { error: fail(413, `decompressed body is larger than the ${MAX_BODY_BYTES}-byte limit`) }
      : { error: fail(400, 'body is not valid gzip') };
  }
}

/** Checks run cheapest and least revealing first: nobody learns about the schema without the token. */
export async function handleIngest(req: IngestRequest, deps: IngestDeps): Promise<IngestResponse> {
  const { config } = deps;
  if (req.method !== 'POST') return fail(405, `method ${req.method} not allowed: POST a Flagger event`);
  if (
    config.tokens.length &&
    !tokenMatches(presentedToken(req.query, req.headers.authorization), config.tokens)
  ) {
    return fail(401, 'missing or invalid token: pass ?token=… or Authorization: Bearer …');
  }
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    return fail(415, 'content-type must be application/json');
  }
  if (req.body.length > MAX_BODY_BYTES) {
    return fail(413, `body is larger than the ${MAX_BODY_BYTES}-byte limit`);
  }
  const body = decode(req.body, req.headers['content-encoding']);
  if ('error' in body) return body.error;
  let json: unknown;
  try {
    json = JSON.parse(body.text);
  } catch {
    return fail(400, 'body is not valid JSON');
  }
  const parsed = parseFlaggerEvent(json);
  if (!parsed.ok) {
    logger.info('event rejected', { reason: 'schema', details: parsed.errors });
    return fail(400, `invalid Flagger event: ${parsed.errors.join('; ')}`, parsed.errors);
  }
  const event = parsed.event;
  const receivedAt = (deps.now ?? (() => new Date()))();
  const results = await Promise.allSettled(config.channels.map((c) => deps.enqueue(c, event, receivedAt)));
  const failed = config.channels.filter((_, i) => results[i]?.status === 'rejected').map((c) => c.id);
  const log = { canary: canaryId(event), phase: event.phase, eventType: event.metadata.eventType };
  if (failed.length) {
    // Queues that did accept keep the message; a retry of the same event is deduplicated there.
    logger.error('queue unavailable', {
      ...log,
      failed,
      errors: results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason?.name ?? r.reason)] : [])),
    });
    return fail(503, `could not queue the event for: ${failed.join(', ')}; retry later`);
  }
  const channels = config.channels.map((c) => c.id);
  if (!channels.length) logger.warn('event accepted but no channel is configured', log);
  else logger.info('event queued', { ...log, channels });
  return { statusCode: 202, body: { status: 'queued', channels } };
}
