import * as z from 'zod/mini';
import type { FlaggerEvent } from '../event/event';
import type { RolloutStore } from '../rollouts/state';

export type EventsMode = 'live' | 'milestones' | 'all';

/** What a destination's sender needs besides the event. */
export interface SendContext {
  timeoutMs: number;
  /** The queue message, for logs. */
  messageId: string;
  /**
   * The event's identity (lib/event/identity.ts): the same on every redelivery and for a
   * byte-identical resend, so stateful senders apply an event once.
   */
  eventId: string;
  /** More of this canary's events follow in the batch: a live message may wait to redraw once. */
  moreInGroup: boolean;
  /**
   * The record was received before (a failed attempt, or a worker that died mid-batch): a post
   * whose answer may have been lost is looked for before posting again.
   */
  redelivered?: boolean;
  /** When the event's rollout started, where the destination keeps rollout state (milestones). */
  rolloutStartedAt?: number;
  /**
   * Waits for the destination's next slot. A sender that makes several calls per event (a live
   * message) takes one before each, so an event whose redraw is left to the batch's last record
   * costs no slot; without it the worker takes one slot per event.
   */
  pace?: () => Promise<void>;
  /** Links the message carries: its rollout's page (signed), when the stack serves pages. */
  links?: { rollout?: string };
  /** The destination's (or its route's) own wording for this event, rendered from its template. */
  wording?: Wording;
}

/**
 * A template's rendered parts (docs/templates.md). Plain text: each provider escapes it for its
 * platform as it escapes Flagger's own message, so a template cannot make a mention either.
 */
export interface Wording {
  title?: string;
  text?: string;
  /** Replace the message's detail rows (parsed numbers and metadata). */
  fields?: [string, string][];
}

export interface SendResult {
  status: number;
  /** The platform asked for a pause before the next call (its rate-limit headers said 0 left). */
  waitSeconds?: number;
  /** API calls this event took, where a provider makes several (Slack app). */
  calls?: number;
}

/** Where a worker delivers: a named destination and its sender, checked at cold start. */
export interface Destination {
  name: string;
  sender: Sender;
  /** Every event, only milestones (rollout state decides), or a live message the sender keeps. */
  events: EventsMode;
}

/** A configured destination, ready to deliver: made once at cold start by `Provider.create`. */
export interface Sender {
  /** Delivers one event; throws RetryableDeliveryError or PermanentDeliveryError when it could not. */
  send(event: FlaggerEvent, ctx: SendContext): Promise<SendResult>;
  /**
   * Work that cannot wait for the next event, run every minute by the status function: re-sends
   * firing Alertmanager alerts before their `endsAt`. Returns how many it sent.
   */
  refresh?(now: number): Promise<number>;
  /**
   * Posts a message that is not one event (a digest, a quiet-hours summary) as a new message, on
   * providers that have `reports`; throws as `send` does.
   */
  report?(report: Report, ctx: { timeoutMs: number }): Promise<SendResult>;
}

/**
 * A message about many rollouts (docs/fleet.md): a digest, or what quiet hours held. Its text is
 * plain, event data among it (canary names, metadata): each provider escapes it as it escapes an
 * event, so a report can no more mention anyone than an event can.
 */
export interface Report {
  kind: 'digest' | 'quiet-summary';
  /** One line: `Daily digest · 2 rollouts: 1 promoted, 1 failed`. */
  title: string;
  /** A line or two under the title. */
  summary: string;
  /** Label and value pairs (numbers, per cluster and team). */
  fields: [string, string][];
  /** Lines listed under the fields (the worst offenders, the held messages). */
  lines: string[];
  /** Our own link (the fleet page, signed), never event data. */
  link?: { title: string; url: string };
  tone: 'good' | 'bad' | 'warn' | 'neutral';
  /** The same for every attempt at one report: what a receiver deduplicates on. */
  key: string;
  /** The numbers themselves, for receivers that read JSON (the generic webhook). */
  data: unknown;
}

/**
 * A destination as configured, before it is checked: from a routing file (`destinations.<name>`)
 * or, without one, from the provider's zero-config environment variables.
 */
export interface DestinationDef {
  name: string;
  type: string;
  /** The provider's own settings, keyed as in the routing file (`url`, `username`, …). */
  options: Record<string, string | undefined>;
  /** How it follows rollouts; unset: the provider's default (its first mode). */
  events?: EventsMode;
  /** Names a setting in errors: `routing.yaml: destinations.ops.url` or `DISCORD_WEBHOOK_URL`. */
  field(key: string): string;
}

/** Settings every destination shares, from the environment (DASHBOARD_URL, …). */
export interface CommonSettings {
  dashboardUrl?: string;
  /** Rollout state (the state table), for providers that keep a live message. */
  store?: RolloutStore;
  /** A deployed stage: https and the provider's hosts (plus WEBHOOK_ALLOWED_HOSTS) only. */
  deployed: boolean;
  extraAllowedHosts: readonly string[];
}

/**
 * One platform type. Adding one is a module exporting this, its tests and one entry in
 * `catalog.ts`: config, queues, functions, roles, alarms, the local pipeline and the DLQ CLI
 * follow from the catalog.
 */
export interface Provider<Id extends string = string> {
  /** Routing-file `type`, queue suffix and function name; a literal, so the catalog's ids are a type. */
  readonly id: Id;
  /** For people: README, logs, the local pipeline's banner. */
  readonly title: string;
  /** Routing-file option → zero-config environment variable; also what a deploy passes on. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * The variable that turns the provider on without a routing file (`DISCORD_WEBHOOK_URL`,
   * `SLACK_BOT_TOKEN`): required then, and a secret.
   */
  readonly on: string;
  /** Options that are credentials: read from SSM (`<VAR>_PARAM`) when deployed, never logged. */
  readonly secrets: readonly string[];
  /** The routing file's options for this type (besides `type`); unknown keys are rejected. */
  readonly options: z.ZodMiniObject;
  /**
   * How it follows rollouts, the default first: `live` keeps one message per rollout (every event
   * goes to the sender, which posts, edits or replies), `milestones` sends a rollout's milestones,
   * `all` every event. A destination picks one with `events:` (or EVENTS).
   */
  readonly modes: readonly EventsMode[];
  /** Its senders have periodic work (`Sender.refresh`): the status function builds them too. */
  readonly scheduled?: boolean;
  /** Its senders post reports (digests, quiet-hours summaries): `Sender.report`. */
  readonly reports?: boolean;
  /** Hosts a deployed stage may post to (`*.` matches subdomains); empty means any https host. */
  readonly allowedHosts: readonly string[];
  /**
   * Default spacing between calls from one worker instance. With the event source's
   * maximumConcurrency of 2 (serverless.yml), the platform sees at most 2 / this per second.
   */
  readonly minIntervalMs: number;
  /** Checks the destination's settings (throwing ConfigError naming the field) and returns its sender. */
  create(destination: DestinationDef, common: CommonSettings): Sender;
  /** What a destination with default options would be sent for this event (`npm run preview`). */
  preview(event: FlaggerEvent, dashboardUrl?: string): unknown;
}

/** `slack` → `SLACK`, `slack-app` → `SLACK_APP`: the prefix of a provider's queue variables. */
export const envPrefix = (id: string): string => id.toUpperCase().replace(/-/g, '_');
export const queueEnv = (id: string): string => `${envPrefix(id)}_QUEUE_URL`;
/** The deploy's one dead-letter queue, shared by every provider: one alarm watches them all. */
export const DLQ_ENV = 'DLQ_URL';

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
