import * as z from 'zod/mini';
import { type HttpAnswer, postJson } from '../../delivery/http';
import { ConfigError, PermanentDeliveryError } from '../../errors';
import { canaryId, canaryKey, canaryRef, eventTime, type FlaggerEvent } from '../../event/event';
import { plainText } from '../../event/text';
import { sendNoticesOnce } from '../../rollouts/journal';
import { type AlertState, rolloutKey } from '../../rollouts/state';
import { type Rollout, reduce } from '../../rollouts/tracker';
import { destinationUrl, opt, parseOptions } from '../destination';
import { dashboardLink } from '../presentation';
import type { DestinationDef, Provider } from '../provider';

// PagerDuty Events API v2 (developer.pagerduty.com, "Send an Alert Event"): summary ≤ 1,024
// characters, the whole event ≤ 512 KB; 202 accepted, 400 invalid (never retried), 429 throttled.
const SUMMARY_MAX = 1024;
const DETAIL_MAX = 2000;

const pagerdutySchema = z.object({
  // An Events API v2 integration key (32 characters) of the service to page.
  routingKey: opt(z.string().check(z.regex(/^[A-Za-z0-9]{32}$/, 'must be an Events API v2 integration key'))),
  url: opt(z.string()),
});

/** One incident per canary (and cluster): its next trigger or resolve finds it by this key. */
export const dedupKey = (e: FlaggerEvent) => `flagger/${canaryKey(canaryRef(e))}`;

/** The incident as triggered, kept with the rollout so its resolve and a retry say the same. */
export function incident(
  e: FlaggerEvent,
  r: Rollout,
  dashboardUrl?: string,
  rolloutUrl?: string,
): AlertState {
  const dashboard = dashboardLink(dashboardUrl, e);
  return {
    labels: {
      dedup_key: dedupKey(e),
      namespace: e.namespace,
      name: e.name,
      ...(canaryRef(e).cluster ? { cluster: canaryRef(e).cluster as string } : {}),
    },
    annotations: {
      summary: plainText(`Canary ${canaryId(e)} failed: ${r.reason ?? e.metadata.eventMessage}`, SUMMARY_MAX),
      ...(r.revision ? { revision: r.revision } : {}),
      ...(r.failed.length
        ? {
            failing_checks: plainText(
              r.failed.map((c) => `${c.name} (${c.count}×): ${c.last}`).join('\n'),
              DETAIL_MAX,
            ),
          }
        : {}),
      ...(r.failedChecks !== undefined ? { failed_checks: String(r.failedChecks) } : {}),
      ...(rolloutUrl ? { rollout_url: rolloutUrl } : {}),
      ...(dashboard ? { dashboard_url: dashboard.url } : {}),
    },
    startsAt: eventTime(e).toISOString(),
  };
}

/** The Events API v2 body for triggering or resolving an incident. */
export function pagerdutyEvent(routingKey: string, a: AlertState, action: 'trigger' | 'resolve') {
  const { summary, rollout_url, dashboard_url, ...details } = a.annotations;
  const links = [
    ...(rollout_url ? [{ href: rollout_url, text: 'Rollout details' }] : []),
    ...(dashboard_url ? [{ href: dashboard_url, text: 'Open dashboard' }] : []),
  ];
  return {
    routing_key: routingKey,
    event_action: action,
    dedup_key: a.labels.dedup_key,
    ...(action === 'trigger'
      ? {
          payload: {
            summary,
            // Ours is `error` for a failed rollout: PagerDuty's `error` (not `critical`, which
            // services commonly route to a wake-up page; raise it with an event rule).
            severity: 'error',
            source: a.labels.cluster ?? 'flagger',
            component: `${a.labels.name}.${a.labels.namespace}`,
            group: a.labels.namespace,
            class: 'canary_rollback',
            timestamp: a.startsAt,
            custom_details: { ...details, ...a.labels },
          },
          ...(links.length ? { links } : {}),
        }
      : {}),
  };
}

/** 400 is an invalid event (never retried); anything else follows the shared rules (429, 5xx). */
function check(a: HttpAnswer, where: string) {
  if (a.status === 400)
    throw new PermanentDeliveryError(`${where} refused the event: ${a.text.slice(0, 300)}`, 400);
}

/**
 * PagerDuty: an incident when a canary fails, resolved when its next rollout starts or succeeds
 * or it is terminated — the Alertmanager path's lifecycle, keyed per canary (and cluster).
 */
export const pagerduty: Provider<'pagerduty'> = {
  id: 'pagerduty',
  title: 'PagerDuty',
  env: { routingKey: 'PAGERDUTY_ROUTING_KEY', url: 'PAGERDUTY_URL' },
  on: 'PAGERDUTY_ROUTING_KEY',
  secrets: ['PAGERDUTY_ROUTING_KEY'],
  options: pagerdutySchema,
  allowedHosts: ['events.pagerduty.com', 'events.eu.pagerduty.com'],
  minIntervalMs: 0,
  modes: ['live'],
  preview: (event) => {
    const r = reduce(undefined, event).rollout;
    return pagerdutyEvent('R0UT1NGKEY0000000000000000000000', incident(event, r), 'trigger');
  },
  create(d: DestinationDef, common) {
    const options = parseOptions(d, pagerdutySchema);
    if (!options.routingKey) throw new ConfigError(`${d.field('routingKey')}: is not set`);
    const routingKey = options.routingKey;
    const url = destinationUrl(
      { ...d, options: { ...d.options, url: options.url ?? 'https://events.pagerduty.com/v2/enqueue' } },
      common,
      ['events.pagerduty.com', 'events.eu.pagerduty.com'],
    ).href;
    const store = common.store;
    if (!store)
      throw new ConfigError(
        `${d.field('routingKey')}: PagerDuty needs STATE_TABLE (an incident lasts as long as a failure)`,
      );
    return {
      async send(event, ctx) {
        const sent = await sendNoticesOnce(
          store,
          rolloutKey(d.name, event),
          ctx.eventId,
          event,
          (step) => incident(event, step.rollout, common.dashboardUrl, ctx.links?.rollout),
          // In order: a resolve of the last failure before the trigger of a new one. Both are
          // idempotent at PagerDuty (the dedup key), so a crash that repeats them changes nothing.
          async (pending) => {
            for (const a of pending)
              await postJson(url, pagerdutyEvent(routingKey, a, a.resolved ? 'resolve' : 'trigger'), {
                timeoutMs: ctx.timeoutMs,
                label: 'pagerduty',
                kind: 'Events API',
                check,
              });
          },
        );
        return sent ? { status: 202, calls: sent } : { status: 200, calls: 0 };
      },
    };
  },
};
