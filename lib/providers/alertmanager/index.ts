import * as z from 'zod/mini';
import { postJson } from '../../delivery/http';
import { ConfigError } from '../../errors';
import { eventTime, extraMetadata, type FlaggerEvent } from '../../event/event';
import { sendNoticesOnce } from '../../rollouts/journal';
import { type AlertState, parseRolloutKey, rolloutKey } from '../../rollouts/state';
import { destinationUrl, opt, parseOptions } from '../destination';
import { dashboardLink } from '../presentation';
import type { DestinationDef, Provider } from '../provider';

/**
 * Re-sent every interval (the status function runs each minute), alive for four of them, as
 * Prometheus does (`endsAt = now + 4 × resend delay`, "allow for two Eval or Alertmanager send
 * failures"): a firing alert never lapses into Alertmanager's resolve_timeout while the canary is
 * still failed.
 */
export const RESEND_SECONDS = 60;
const VALID_FOR_MS = 4 * RESEND_SECONDS * 1000;

// Prometheus label names: [a-zA-Z_][a-zA-Z0-9_]*, `__` prefix reserved (prometheus.io data model).
const RESERVED = new Set(['alertname', 'severity', 'namespace', 'name']);
/** An event's extra metadata key as a label name, or nothing when it cannot be one. */
export function labelName(key: string): string | undefined {
  let k = key.replace(/[^a-zA-Z0-9_]/g, '_');
  if (/^[0-9]/.test(k)) k = `_${k}`;
  if (!k || k.startsWith('__') || /^_+$/.test(k) || RESERVED.has(k)) return undefined;
  return k.slice(0, 128);
}

/** Flagger's `canary_rollback` alert (docs.flagger.app, "Alerting"), for one failed rollout. */
export function rollbackAlert(
  e: FlaggerEvent,
  reason: string | undefined,
  dashboardUrl?: string,
  rolloutUrl?: string,
): AlertState {
  const labels: Record<string, string> = {};
  for (const [k, v] of extraMetadata(e)) {
    const name = labelName(k);
    if (name && !(name in labels)) labels[name] = v.slice(0, 1024);
  }
  Object.assign(labels, {
    alertname: 'canary_rollback',
    severity: 'warning',
    namespace: e.namespace,
    name: e.name,
  });
  const link = dashboardLink(dashboardUrl, e);
  return {
    labels,
    annotations: {
      summary: 'Canary failed',
      description: `Workload ${e.name} namespace ${e.namespace}`,
      ...(reason ? { reason: reason.slice(0, 4096) } : {}),
      // The failed rollout's page (a signed link), for the receiver's template.
      ...(rolloutUrl ? { rollout_url: rolloutUrl } : {}),
    },
    startsAt: eventTime(e).toISOString(),
    ...(link ? { generatorURL: link.url } : {}),
  };
}

const alertmanagerSchema = z
  .object({
    // One base URL, or several (comma-separated): Alertmanager's HA guide asks clients to send to all.
    url: opt(z.string()),
    username: opt(z.string().check(z.maxLength(256))),
    password: opt(z.string()),
    token: opt(z.string()),
  })
  .check(
    z.refine((o) => !(o.token && (o.username || o.password)), {
      message: 'set a token or a username and password, not both',
      path: ['token'],
    }),
    z.refine((o) => !o.username === !o.password, {
      message: 'set both a username and a password',
      path: ['password'],
    }),
  );

/**
 * Alertmanager: `canary_rollback` fires while a canary's rollout is failed and resolves when its
 * next rollout starts (POST <base>/api/v2/alerts, an array of alerts; 400 is permanent, 5xx retried).
 */
export const alertmanager: Provider<'alertmanager'> = {
  id: 'alertmanager',
  title: 'Alertmanager',
  env: {
    url: 'ALERTMANAGER_URL',
    username: 'ALERTMANAGER_USERNAME',
    password: 'ALERTMANAGER_PASSWORD',
    token: 'ALERTMANAGER_TOKEN',
  },
  on: 'ALERTMANAGER_URL',
  secrets: ['ALERTMANAGER_URL', 'ALERTMANAGER_PASSWORD', 'ALERTMANAGER_TOKEN'],
  options: alertmanagerSchema,
  // Alertmanager runs where you run it: its host goes in WEBHOOK_ALLOWED_HOSTS for a deployed stage.
  allowedHosts: [],
  minIntervalMs: 0,
  modes: ['live'],
  scheduled: true,
  preview: (event) => [{ ...rollbackAlert(event, event.metadata.eventMessage), endsAt: '(now + 4 min)' }],
  create(d: DestinationDef, common) {
    const options = parseOptions(d, alertmanagerSchema);
    const urls = (options.url ?? '')
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean)
      .map((u) => destinationUrl({ ...d, options: { ...d.options, url: u } }, common, []))
      .map((u) => `${u.href.replace(/\/+$/, '')}/api/v2/alerts`);
    if (!urls.length) throw new ConfigError(`${d.field('url')}: is not set`);
    const store = common.store;
    if (!store)
      throw new ConfigError(
        `${d.field('url')}: Alertmanager needs STATE_TABLE (its alerts last as long as a failure)`,
      );
    const auth: Record<string, string> = options.token
      ? { authorization: `Bearer ${options.token}` }
      : options.username
        ? {
            authorization: `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`,
          }
        : {};
    let timeoutMs = 10_000;
    const post = async (alerts: (AlertState & { resolved: boolean })[], now: number) => {
      const body = alerts.map(({ resolved, ...a }) => ({
        ...a,
        endsAt: new Date(resolved ? now : now + VALID_FOR_MS).toISOString(),
      }));
      // Every Alertmanager of an HA pair gets every alert; one that fails makes the whole retry.
      await Promise.all(
        urls.map((url) =>
          postJson(url, body, { timeoutMs, label: 'alertmanager', kind: 'API', headers: auth }),
        ),
      );
    };
    return {
      async send(event, ctx) {
        timeoutMs = ctx.timeoutMs;
        const sent = await sendNoticesOnce(
          store,
          rolloutKey(d.name, event),
          ctx.eventId,
          event,
          (step) => rollbackAlert(event, step.rollout.reason, common.dashboardUrl, ctx.links?.rollout),
          (pending) => post(pending, Date.now()),
        );
        return { status: 200, calls: sent ? urls.length : 0 };
      },
      async refresh(now) {
        timeoutMs = 10_000;
        const firing = (await store.failing()).filter(
          (f) => parseRolloutKey(f.key)?.destination === d.name && f.value.alert,
        );
        if (firing.length)
          await post(
            firing.map((f) => ({ ...(f.value.alert as AlertState), resolved: false })),
            now,
          );
        return firing.length;
      },
    };
  },
};
