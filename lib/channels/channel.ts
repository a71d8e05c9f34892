import type { FlaggerEvent } from '../event';

export interface DeliveryOptions {
  timeoutMs: number;
}

export interface DeliveryResult {
  status: number;
}

/**
 * One chat platform. Adding a platform means one module implementing this, registered in
 * `channels/index.ts`, and its test file: the queue, worker and local pipeline follow from `id`.
 */
export interface Channel {
  /** Queue suffix, function name and env prefix: `slack` → SLACK_WEBHOOK_URL, SLACK_QUEUE_URL. */
  readonly id: string;
  /**
   * Default spacing between POSTs from one worker instance. With the event source's
   * maximumConcurrency of 2 (serverless.yml), the platform sees at most 2 / this per second.
   */
  readonly minIntervalMs: number;
  /** The JSON body the platform's incoming webhook expects. */
  format(event: FlaggerEvent): unknown;
  /** POST the payload; throws RetryableDeliveryError or PermanentDeliveryError on failure. */
  deliver(url: string, payload: unknown, options: DeliveryOptions): Promise<DeliveryResult>;
}

export const webhookEnv = (c: Pick<Channel, 'id'>): string => `${c.id.toUpperCase()}_WEBHOOK_URL`;
export const queueEnv = (c: Pick<Channel, 'id'>): string => `${c.id.toUpperCase()}_QUEUE_URL`;
export const dlqEnv = (c: Pick<Channel, 'id'>): string => `${c.id.toUpperCase()}_DLQ_URL`;
