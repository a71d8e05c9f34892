import { createHash } from 'node:crypto';
import type { FlaggerEvent } from './event';

/** What ingest adds to what Flagger sent: the route a per-canary webhook named. */
export interface Received {
  route?: string;
}

/**
 * An event's identity: everything Flagger sent (every metadata key, the timestamp included) and
 * what ingest added. Only a byte-for-byte resend — Flagger's own `retries` on a per-canary
 * webhook, a client retrying after a lost 202 — has the same identity; a halt repeated a minute
 * later, or the next rollout's "Canary failed!", is a new event (docs/delivery.md).
 * Metadata is sorted by key, so the JSON key order a client happens to use does not matter.
 */
export function eventIdentity(e: FlaggerEvent, received: Received = {}): string {
  const metadata = Object.entries(e.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(
      JSON.stringify([e.name, e.namespace, e.phase, e.checksum ?? null, metadata, received.route ?? null]),
    )
    .digest('hex');
}
