import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { type HttpAnswer, postJson } from '../../delivery/http';
import { ConfigError, RetryableDeliveryError } from '../../errors';
import { canaryRef, type FlaggerEvent } from '../../event/event';
import { plainText } from '../../event/text';
import type { RolloutRecord } from '../../rollouts/state';
import { isEnded, type Rollout, reduce } from '../../rollouts/tracker';
import { destinationUrl, opt, parseOptions } from '../destination';
import { LiveMessageGoneError, type LivePlatform, rolloutId, sendLive } from '../live';
import type { DestinationDef, Provider } from '../provider';
import { checks, LOOK, step } from '../summary';

const grafanaSchema = z.object({
  url: opt(z.string()),
  // A service account's token (Grafana ≥ 9: Administration → Service accounts), role Editor.
  token: opt(z.string().check(z.minLength(16, 'must be a service-account token'))),
  dashboardUid: opt(z.string().check(z.regex(/^[\w-]{1,40}$/, 'must be a dashboard UID'))),
});
type Options = z.infer<typeof grafanaSchema>;

/** A tag no other annotation has: finds a region whose create answer was lost. */
export const rolloutTag = (rolloutId: string) =>
  `flagger-rollout:${createHash('sha256').update(rolloutId).digest('hex').slice(0, 16)}`;

/** The region's tags: `flagger`, the canary's namespace, name and cluster, and its outcome once known. */
export function regionTags(e: FlaggerEvent, r: Rollout, rolloutId: string): string[] {
  const c = canaryRef(e);
  return [
    'flagger',
    c.namespace,
    c.name,
    ...(c.cluster ? [c.cluster] : []),
    ...(isEnded(r) ? [r.status] : []),
    rolloutTag(rolloutId),
  ];
}

/** The region's text: what people hover over on a dashboard. Plain text; Grafana renders it as such. */
export function regionText(r: Rollout, rolloutUrl?: string): string {
  const look = LOOK[r.status];
  return plainText(
    [
      `${look.emoji} ${r.canary} · ${look.label} · ${step(r)}`,
      `revision ${r.revision ?? 'pending'} · ${checks(r)}`,
      ...(r.reason ? [r.reason] : []),
      ...(rolloutUrl ? [rolloutUrl] : []),
    ].join('\n'),
    2000,
  );
}

/** The annotation: from the rollout's start to its end (or its latest event while it runs). */
export function annotation(
  e: FlaggerEvent,
  r: Rollout,
  rolloutId: string,
  dashboardUid?: string,
  rolloutUrl?: string,
) {
  return {
    ...(dashboardUid ? { dashboardUID: dashboardUid } : {}),
    time: r.startedAt,
    timeEnd: r.endedAt ?? r.updatedAt,
    tags: regionTags(e, r, rolloutId),
    text: regionText(r, rolloutUrl),
  };
}

/**
 * Grafana annotations: one region per rollout, created at its start (`POST /api/annotations`)
 * and moved with it (`PATCH /api/annotations/{id}`): its end and outcome tag at the outcome. Its
 * id is kept with the rollout; a create whose answer was lost is found again by its rollout tag.
 */
export const grafana: Provider<'grafana'> = {
  id: 'grafana',
  title: 'Grafana annotations',
  modes: ['live'],
  env: { url: 'GRAFANA_URL', token: 'GRAFANA_TOKEN', dashboardUid: 'GRAFANA_DASHBOARD_UID' },
  on: 'GRAFANA_TOKEN',
  secrets: ['GRAFANA_TOKEN'],
  options: grafanaSchema,
  // Grafana runs where you run it (or *.grafana.net): a self-hosted one in WEBHOOK_ALLOWED_HOSTS.
  allowedHosts: ['*.grafana.net'],
  minIntervalMs: 200,
  preview: (event) => {
    const r = reduce(undefined, event).rollout;
    return annotation(event, r, `preview/${r.canary}/${r.startedAt}`);
  },
  create(d: DestinationDef, common) {
    const options: Options = parseOptions(d, grafanaSchema);
    if (!options.token) throw new ConfigError(`${d.field('token')}: is not set`);
    const base = destinationUrl(d, common, ['*.grafana.net']);
    const store = common.store;
    if (!store) throw new ConfigError(`${d.field('url')}: Grafana annotations need STATE_TABLE`);
    const api = `${base.href.replace(/\/+$/, '')}/api/annotations`;
    const headers = { authorization: `Bearer ${options.token}` };
    return {
      async send(event, ctx) {
        const call = (url: string, body: unknown, method: 'POST' | 'PATCH' | 'GET') =>
          postJson(url, body, {
            timeoutMs: ctx.timeoutMs,
            label: 'grafana',
            kind: 'annotations API',
            method,
            headers,
            // A region deleted on the dashboard: the rollout goes on in a new one.
            check: (a: HttpAnswer) => {
              if (method === 'PATCH' && a.status === 404) throw new LiveMessageGoneError('grafana 404');
            },
          });
        // Tagged with its rollout's id, so a create whose answer was lost can be found.
        const draw = (r: RolloutRecord) =>
          annotation(event, r.rollout, rolloutId(d.name, r), options.dashboardUid, ctx.links?.rollout);
        const platform: LivePlatform = {
          // Regions have no thread: the outcome is in the region's tags and text.
          note: () => undefined,
          async post(record) {
            const res = await call(api, draw(record), 'POST');
            const id = (res.json as { id?: number } | undefined)?.id;
            // Without an id the region cannot be moved: ask again (the retry finds it by its tag).
            if (!id) throw new RetryableDeliveryError('grafana answered a create without an annotation id');
            return { id: String(id) };
          },
          async update(record, message) {
            await call(`${api}/${message.id}`, draw(record), 'PATCH');
          },
          reply: async () => {},
          async find(rollout) {
            const u = new URL(api);
            u.searchParams.set('tags', rolloutTag(rollout));
            u.searchParams.set('limit', '1');
            const found = (await call(u.href, undefined, 'GET').catch(() => undefined))?.json;
            const id = Array.isArray(found) ? (found[0] as { id?: number } | undefined)?.id : undefined;
            return id ? { id: String(id) } : undefined;
          },
        };
        const { calls } = await sendLive(store, d.name, platform, event, ctx);
        return { status: 200, calls };
      },
    };
  },
};
