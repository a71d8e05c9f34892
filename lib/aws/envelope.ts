import * as z from 'zod/mini';
import { InvalidMessageError } from '../errors';
import { type FlaggerEvent, flaggerEventSchema } from '../event/event';

/** What travels on a provider's queue: the validated event plus when ingest accepted it. */
export interface QueuedEvent {
  v: 1;
  receivedAt: string;
  event: FlaggerEvent;
  /** The routing destination; absent means the provider's default destination (named like it). */
  destination?: string;
  /** The event's identity (lib/event/identity.ts); absent in messages queued by older versions. */
  id?: string;
  /** The route whose template words it, when that route has one. */
  via?: string;
  /** The route whose quiet hours apply to it, when that route has some (docs/routing.md). */
  quiet?: string;
  /**
   * False on every copy of the event but one: that one's worker writes the event into its
   * rollout's story, the others only their results (absent, from older versions: every copy does).
   */
  tells?: false;
  /** On the copy that tells the story: every provider the event went to (whose results to show). */
  providers?: string[];
}

/** What ingest adds to an event as it queues one copy of it. */
export interface EnqueueMeta {
  receivedAt: Date;
  correlationId: string;
  id: string;
  via?: string;
  quiet?: string;
  tells?: false;
  providers?: string[];
}

/** Where the queues are: a region, or a local emulator's endpoint. */
export interface SqsSettings {
  region: string;
  endpoint?: string;
}

const queuedSchema = z.object({
  v: z.literal(1),
  receivedAt: z.string(),
  event: flaggerEventSchema,
  destination: z.optional(z.string()),
  id: z.optional(z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be a sha256 hex digest'))),
  // The route whose template words this event (docs/templates.md).
  via: z.optional(z.string().check(z.maxLength(64))),
  quiet: z.optional(z.string().check(z.maxLength(64))),
  tells: z.optional(z.literal(false)),
  providers: z.optional(z.array(z.string().check(z.maxLength(64))).check(z.maxLength(64))),
});

/**
 * Checked again on the way out: a message redriven by hand or sent by another producer must fail
 * clearly, not as a crash inside a formatter.
 */
export function parseQueuedBody(body: string): QueuedEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidMessageError('queue message body is not JSON');
  }
  const r = queuedSchema.safeParse(json);
  if (!r.success) throw new InvalidMessageError('queue message is not a flagger-notify v1 envelope');
  return r.data;
}

/**
 * Stamped by `dlq redrive` on what it sends (epoch ms) and kept by the worker on a new dead
 * letter: the retry window restarts there, and a redrive knows what came back while it ran.
 */
export const REDRIVEN_AT = 'redrivenAt';
