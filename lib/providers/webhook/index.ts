import { createHash, createHmac } from 'node:crypto';
import * as z from 'zod/mini';
import { classify, type Facts, type Kind, type Severity } from '../../event/classify';
import { clusterOf, type FlaggerEvent } from '../../event/event';
import { opt } from '../destination';
import type { Report, SendContext } from '../provider';
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
  // One secret, or two (space-separated) while rotating. Short ones are guessable offline.
  secret: opt(
    z
      .string()
      .check(
        z.refine(
          (v) => secretsOf(v).length > 0 && secretsOf(v).every((s) => s.length >= 16),
          'must be at least 16 characters (each, when several are listed)',
        ),
      ),
  ),
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

/**
 * A digest or quiet-hours summary (docs/providers/webhook.md): told apart from an event by `type`;
 * `data` holds the numbers, `text` what a chat would show.
 */
export interface WebhookReportBody {
  version: 'flagger-notify/v1';
  type: Report['kind'];
  title: string;
  text: string;
  data: unknown;
  links?: { fleet: string };
}

export const formatWebhookReport = (r: Report): WebhookReportBody => ({
  version: 'flagger-notify/v1',
  type: r.kind,
  title: r.title,
  text: [r.summary, ...r.fields.map(([k, v]) => `${k}: ${v}`), ...r.lines].join('\n'),
  data: r.data,
  ...(r.link ? { links: { fleet: r.link.url } } : {}),
});

/** Flux's `generic-hmac` convention: `X-Signature: sha256=<hex HMAC-SHA256(secret, body)>`. */
export const signature = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** `WEBHOOK_SECRET`'s secrets: one, or several space-separated while a receiver rotates. */
export const secretsOf = (value: string): string[] => value.trim().split(/\s+/).filter(Boolean);

/**
 * Standard Webhooks (standardwebhooks.com): the key of a `whsec_<base64>` secret is its decoded
 * bytes, as the spec's libraries read it; any other secret's key is its own bytes (a receiver
 * then uses the library's `format: "raw"`).
 */
const standardKey = (secret: string): Buffer =>
  secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret);

/** `webhook-signature`: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, one per secret. */
export function standardSignature(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string,
): string {
  return secrets
    .map(
      (s) =>
        `v1,${createHmac('sha256', standardKey(s)).update(`${id}.${timestamp}.${body}`).digest('base64')}`,
    )
    .join(' ');
}

/**
 * The signed headers of one attempt: Standard Webhooks' `webhook-id` (the same for every attempt
 * at one event to one destination, so a receiver can refuse a replay or a duplicate),
 * `webhook-timestamp` and `webhook-signature` with every secret; and Flux's `X-Signature` with the
 * first, for receivers written for it.
 */
export function signedHeaders(
  secret: string,
  body: string,
  key: string,
  now = Date.now(),
): Record<string, string> {
  const secrets = secretsOf(secret);
  const id = `msg_${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
  const timestamp = Math.floor(now / 1000);
  return {
    'x-signature': signature(secrets[0] as string, body),
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': standardSignature(secrets, id, timestamp, body),
  };
}

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
  report: formatWebhookReport,
  // The signatures cover the exact bytes sent, so a receiver verifies before it parses.
  request: ({ secret }) =>
    secret ? { sign: (body, message) => signedHeaders(secret, body, message.key) } : {},
});
