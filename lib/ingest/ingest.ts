import { gunzipSync } from 'node:zlib';
import type { EnqueueMeta } from '../aws/envelope';
import { record } from '../aws/metrics';
import type { IngestConfig } from '../config/config';
import { canaryId, canaryRef, type FlaggerEvent, parseFlaggerEvent } from '../event/event';
import { eventIdentity } from '../event/identity';
import { canaryStatus } from '../event/status';
import { logger } from '../log';
import { type Decision, routeEvent } from '../routing/route';
import { type MuteStore, muteKey } from '../stores/mute';
import { TOKEN_HELP } from './auth';
import { identify, resolveCluster } from './clusters';

// Flagger events are small, but a failing webhook's answer can make one large (README "The HTTP
// contract"): up to 1 MiB is accepted and cut to a stored bound; above it, 413.
export const MAX_BODY_BYTES = 1024 * 1024;

/** An HTTP request reduced to what ingest looks at; header names lower-case. */
export interface IngestRequest {
  /** Follows the event into the queue and the workers' logs (API Gateway's request id). */
  id: string;
  /** `{route}` of POST /events/{route}: a per-canary webhook selecting one named route. */
  route?: string;
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
  /** Put the event on one provider's queue for one destination; rejects when the queue is unreachable. */
  enqueue(
    target: { destination: string; queueUrl: string },
    event: FlaggerEvent,
    meta: EnqueueMeta,
  ): Promise<unknown>;
  /** For routes with `mute`; without one, nothing is muted. */
  mute?: MuteStore;
  now?: () => Date;
}

interface Rejection {
  /** Short name for logs and the EventsRejected metric. */
  reason: string;
  response: IngestResponse;
}

const reject = (reason: string, statusCode: number, error: string, details?: string[]): Rejection => ({
  reason,
  response: { statusCode, body: details ? { error, details } : { error } },
});

/**
 * Undo a Content-Encoding. gzip is inflated with a cap, so a small "zip bomb" cannot blow past the
 * body limit; anything else is refused rather than misread.
 */
function decode(raw: Buffer, encoding: string | undefined): { text: string } | Rejection {
  const enc = encoding?.trim().toLowerCase();
  if (!enc || enc === 'identity') return { text: raw.toString('utf8') };
  if (enc !== 'gzip')
    return reject(
      'encoding',
      415,
      `content-encoding ${JSON.stringify(enc.slice(0, 20))} is not supported; send gzip or none`,
    );
  try {
    return { text: gunzipSync(raw, { maxOutputLength: MAX_BODY_BYTES }).toString('utf8') };
  } catch (err) {
    return (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
      ? reject('too-large', 413, `decompressed body is larger than the ${MAX_BODY_BYTES}-byte limit`)
      : reject('gzip', 400, 'body is not valid gzip');
  }
}

/** Checks run cheapest and least revealing first: nobody learns about the schema without the token. */
function validate(req: IngestRequest, config: IngestConfig): { event: FlaggerEvent } | Rejection {
  if (req.method !== 'POST')
    return reject('method', 405, `method ${req.method} not allowed: POST a Flagger event`);
  const caller = identify(config, req.query, req.headers.authorization);
  if (!caller) return reject('unauthorized', 401, TOKEN_HELP);
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    return reject('content-type', 415, 'content-type must be application/json');
  if (req.body.length > MAX_BODY_BYTES) {
    return reject('too-large', 413, `body is larger than the ${MAX_BODY_BYTES}-byte limit`);
  }
  const body = decode(req.body, req.headers['content-encoding']);
  if ('reason' in body) return body;
  let json: unknown;
  try {
    json = JSON.parse(body.text);
  } catch {
    return reject('json', 400, 'body is not valid JSON');
  }
  const parsed = parseFlaggerEvent(json);
  if (!parsed.ok)
    return reject('schema', 400, `invalid Flagger event: ${parsed.errors.join('; ')}`, parsed.errors);
  // In a fleet the cluster is part of the canary: it is set here, once, from what the token allows.
  const where = resolveCluster(config, caller, {
    ...(req.query.cluster !== undefined ? { query: req.query.cluster } : {}),
    ...(parsed.event.metadata.cluster !== undefined ? { metadata: parsed.event.metadata.cluster } : {}),
  });
  if ('error' in where) return reject('cluster', where.status, where.error);
  if (where.cluster) parsed.event.metadata.cluster = where.cluster;
  if (req.route !== undefined && !config.routing.routes.some((r) => r.name === req.route)) {
    const shown = /^[a-z0-9-]{1,63}$/.test(req.route) ? `"${req.route}"` : 'in the URL';
    return reject('unknown-route', 404, `unknown route ${shown}: POST /events, or /events/<name of a route>`);
  }
  return { event: parsed.event };
}

/**
 * The decision's destinations, less those whose route muted this notification recently, and the
 * mute claims taken for them (to give back if queuing fails).
 */
async function unmuted(decision: Decision, event: FlaggerEvent, store?: MuteStore) {
  // Each destination with the first route that sends it the event (its template, if it has one).
  const send = new Map<string, string>();
  const claims: string[] = [];
  for (const step of decision.steps) {
    if (step.outcome !== 'sent') continue;
    if (step.muteSeconds && store) {
      const key = muteKey(step.route, event, decision.classification.kind);
      if (!(await store.claim(key, step.muteSeconds))) continue;
      claims.push(key);
    }
    for (const d of step.to) if (!send.has(d)) send.set(d, step.route);
  }
  return { destinations: [...send.keys()], via: send, claims };
}

/** Validate, route, then queue for each destination: 202 only when every queue has the event. */
export async function handleIngest(req: IngestRequest, deps: IngestDeps): Promise<IngestResponse> {
  const { config } = deps;
  const correlationId = req.id;
  const v = validate(req, config);
  if ('reason' in v) {
    // Never the body, query or headers: they may hold a token.
    logger.info('event rejected', {
      correlationId,
      reason: v.reason,
      status: v.response.statusCode,
      ...(v.response.body.details ? { details: v.response.body.details } : {}),
    });
    record('EventsRejected', { reason: v.reason });
    return v.response;
  }
  const event = v.event;
  // One line per request, written once the outcome is known: each line costs log ingestion.
  const log = {
    correlationId,
    canary: canaryId(event),
    phase: event.phase,
    eventType: event.metadata.eventType,
    eventMessage: event.metadata.eventMessage.slice(0, 200),
  };
  record('EventsReceived');
  const decision = routeEvent(event, config.routing, req.route);
  // Flagger's CanaryStatus gauge, on the events that change it (docs/canary-status.md).
  const status = canaryStatus(decision.classification.kind);
  if (status !== undefined) record('CanaryStatus', { ...canaryRef(event) }, status);
  const { destinations, via, claims } = await unmuted(decision, event, deps.mute);
  const routeTemplates = config.routing.templates?.routes ?? {};
  const targets = destinations.map((name) => {
    const type = config.routing.destinations[name]?.type;
    return { destination: name, queueUrl: config.providers.find((c) => c.id === type)?.queueUrl as string };
  });
  const receivedAt = (deps.now ?? (() => new Date()))();
  const id = eventIdentity(event, { route: req.route });
  const providers = [...new Set(destinations.map((d) => config.routing.destinations[d]?.type as string))];
  const results = await Promise.allSettled(
    targets.map((t, i) => {
      // The route's own wording travels with the event to the worker that renders it.
      const route = via.get(t.destination);
      const templated = route !== undefined && routeTemplates[route];
      const quiet = route !== undefined && config.routing.schedules?.quiet.routes[route];
      return deps.enqueue(t, event, {
        receivedAt,
        correlationId,
        id,
        ...(templated ? { via: route } : {}),
        ...(quiet ? { quiet: route } : {}),
        // One copy's worker writes the event into the rollout's story (one write, not one each),
        // naming the providers whose results its page shows.
        ...(i > 0 ? { tells: false as const } : { providers }),
      });
    }),
  );
  const failed = destinations.filter((_, i) => results[i]?.status === 'rejected');
  if (failed.length) {
    // Queues that did accept keep the message; a retry of the same event is deduplicated there,
    // and must not be muted by the claims this attempt took.
    await Promise.all(claims.map((k) => deps.mute?.release(k)));
    logger.error('queue unavailable', {
      ...log,
      failed,
      errors: results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason?.name ?? r.reason)] : [])),
    });
    return {
      statusCode: 503,
      body: { error: `could not queue the event for: ${failed.join(', ')}; retry later` },
    };
  }
  if (!config.providers.length) logger.warn('event accepted but no provider is configured', log);
  else if (!destinations.length) logger.info('event filtered', { ...log, route: req.route });
  else logger.info('event queued', { ...log, destinations });
  return {
    statusCode: 202,
    body: { status: destinations.length ? 'queued' : 'filtered', providers, destinations },
  };
}
