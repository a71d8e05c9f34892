import { createHmac } from 'node:crypto';
import * as z from 'zod/mini';
import { classify, type Facts, type Kind, type Severity } from '../../event/classify';
import { clusterOf, type FlaggerEvent } from '../../event/event';
import { opt } from '../destination';
import type { SendContext } from '../provider';
import { webhookProvider } from '../webhook-provider';

/** The body every generic webhook receives (docs/providers/webhook.md); a change bumps `version`. */
export interface WebhookBody {
  version: 'flagger-notify/v1';
  /** `name.namespace`, as Flagger writes it in its messages. */
  canary: string;
  /** The cluster the event came from, in a fleet (docs/fleet.md). */
  cluster?: string;
  kind: Kind;
  severity: Severity;
  /** Numbers read from the message: weights, iterations, failed checks, the metric. */
  facts: Facts;
  /** Flagger's event exactly as it was accepted. */
  event: FlaggerEvent;
  /** The rollout's page (a signed link), when the stack serves pages. */
  links?: { rollout: string };
}

const webhookSchema = z.object({
  url: opt(z.string()),
  // Short secrets are guessable from signed bodies offline.
  secret: opt(z.string().check(z.minLength(16, 'must be at least 16 characters'))),
});

/** Its routing-file options, as its schema reads them. */
export type WebhookOptions = z.infer<typeof webhookSchema>;

export function formatWebhook(
  event: FlaggerEvent,
  _options: unknown = {},
  ctx: Partial<SendContext> = {},
): WebhookBody {
  const { kind, severity, facts } = classify(event);
  const rollout = ctx.links?.rollout;
  return {
    version: 'flagger-notify/v1',
    // Machine-readable: `name.namespace`, and the cluster on its own in a fleet.
    canary: `${event.name}.${event.namespace}`,
    ...(clusterOf(event) ? { cluster: clusterOf(event) } : {}),
    kind,
    severity,
    facts,
    event,
    ...(rollout ? { links: { rollout } } : {}),
  };
}

/** Flux's `generic-hmac` convention: `X-Signature: sha256=<hex HMAC-SHA256(secret, body)>`. */
export const signature = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export const webhook = webhookProvider<WebhookOptions, 'webhook'>({
  id: 'webhook',
  title: 'Generic webhook',
  env: { url: 'WEBHOOK_URL', secret: 'WEBHOOK_SECRET' },
  secrets: ['WEBHOOK_URL', 'WEBHOOK_SECRET'],
  options: webhookSchema,
  // Anything the deployer names in WEBHOOK_ALLOWED_HOSTS, over https.
  allowedHosts: [],
  minIntervalMs: 250,
  format: formatWebhook,
  // The signature covers the exact bytes sent, so a receiver verifies before it parses.
  request: ({ secret }) => (secret ? { sign: (body) => ({ 'x-signature': signature(secret, body) }) } : {}),
});
