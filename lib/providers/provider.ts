import * as z from 'zod/mini';
import type { Env } from '../config/env';
import type { FlaggerEvent } from '../event/event';

export interface DeliveryOptions {
  timeoutMs: number;
}

export interface DeliveryResult {
  status: number;
}

/**
 * One chat platform. Adding a platform means one module implementing this, registered in
 * `channels/index.ts` and `channels/ids.ts`, and its test file: queue, worker and local pipeline
 * follow from `id`.
 */
export interface Channel<O = unknown> {
  /** Queue suffix, function name and env prefix: `slack` → SLACK_WEBHOOK_URL, SLACK_QUEUE_URL. */
  readonly id: string;
  /**
   * Default spacing between POSTs from one worker instance. With the event source's
   * maximumConcurrency of 2 (serverless.yml), the platform sees at most 2 / this per second.
   */
  readonly minIntervalMs: number;
  /** Webhook hosts a deployed worker may post to (`*.` matches subdomains). */
  readonly allowedHosts: readonly string[];
  /** The channel's own settings (usernames, formats, links), validated once at cold start. */
  options(env: Env): O;
  /** The JSON body the platform's incoming webhook expects. */
  format(event: FlaggerEvent, options: O): unknown;
  /** POST the payload; throws RetryableDeliveryError or PermanentDeliveryError on failure. */
  deliver(url: string, payload: unknown, options: DeliveryOptions): Promise<DeliveryResult>;
}

export const webhookEnv = (c: Pick<Channel, 'id'>): string => `${c.id.toUpperCase()}_WEBHOOK_URL`;
export const queueEnv = (c: Pick<Channel, 'id'>): string => `${c.id.toUpperCase()}_QUEUE_URL`;
export const dlqEnv = (c: Pick<Channel, 'id'>): string => `${c.id.toUpperCase()}_DLQ_URL`;

/** DASHBOARD_URL: an http(s) URL template whose `{namespace}` and `{name}` are filled per event. */
export const dashboardTemplate = z.string().check(
  z.refine((t) => {
    try {
      return /^https?:$/.test(new URL(t.replace(/\{(namespace|name)\}/g, 'x')).protocol);
    } catch {
      return false;
    }
  }, 'must be an http(s) URL, optionally with {namespace} and {name} placeholders'),
);
