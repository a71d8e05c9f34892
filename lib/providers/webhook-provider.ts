import type * as z from 'zod/mini';
import { type HttpAnswer, type PostOptions, postJson } from '../delivery/http';
import { ConfigError } from '../errors';
import type { FlaggerEvent } from '../event/event';
import { destinationUrl, parseOptions } from './destination';
import { type LivePlatform, sendLive } from './live';
import type { CommonSettings, Provider, Report, SendContext, SendResult } from './provider';

/** A stateless webhook provider: settings, a formatter and, where the platform needs it, a twist. */
export interface WebhookSpec<O, Id extends string = string>
  extends Omit<Provider<Id>, 'create' | 'options' | 'preview' | 'on' | 'modes'> {
  /** Defaults to milestones, then every event; a platform that can edit its messages adds live. */
  modes?: Provider['modes'];
  env: Readonly<Record<string, string>> & { readonly url: string };
  options: z.ZodMiniObject & z.ZodMiniType<O>;
  format(event: FlaggerEvent, options: O & { dashboardUrl?: string }, ctx?: Partial<SendContext>): unknown;
  /** A digest or quiet-hours summary in the platform's markup; without it, the provider has none. */
  report?(report: Report, options: O): unknown;
  /** Per-event URL (query parameters the platform reads, such as Google Chat's thread option). */
  url?(base: URL, event?: FlaggerEvent): string;
  /**
   * Extra request settings: headers, an answer check, and headers signed over the exact body
   * sent; `message.key` is the same for every attempt at one event to one destination.
   */
  request?(options: O): Pick<PostOptions, 'headers' | 'check'> & {
    sign?(body: string, message: { key: string }): Record<string, string>;
  };
  /** What a 2xx answer says about pacing (Discord's X-RateLimit-Remaining: 0). */
  onDelivered?(answer: HttpAnswer): Pick<SendResult, 'waitSeconds'>;
  /** For mode `live`: how this platform posts and edits the rollout message for one event. */
  live?(
    base: URL,
    options: O & { dashboardUrl?: string },
    event: FlaggerEvent,
    ctx: SendContext,
    request: Pick<PostOptions, 'headers' | 'sign' | 'check'>,
  ): LivePlatform;
}

/** Builds a Provider from a spec: the URL and options are checked once, at cold start. */
export function webhookProvider<O, const Id extends string = string>(spec: WebhookSpec<O, Id>): Provider<Id> {
  const { format, url: urlFor, request, onDelivered, live, report: formatReport, ...rest } = spec;
  return {
    ...rest,
    ...(formatReport ? { reports: true } : {}),
    // A webhook provider is on when its URL is set.
    on: spec.env.url,
    modes: spec.modes ?? ['milestones', 'all'],
    preview: (event, dashboardUrl) => format(event, { dashboardUrl } as O & { dashboardUrl?: string }),
    create(d, common: CommonSettings) {
      const base = destinationUrl(d, common, spec.allowedHosts);
      const options = { ...parseOptions(d, spec.options), dashboardUrl: common.dashboardUrl };
      const { sign, ...fixed } = request?.(options) ?? {};
      // The destination and the event's identity: what a receiver deduplicates attempts on.
      const extraFor = (ctx: SendContext): Pick<PostOptions, 'headers' | 'sign' | 'check'> => ({
        ...fixed,
        ...(sign ? { sign: (body: string) => sign(body, { key: `${d.name}\n${ctx.eventId}` }) } : {}),
      });
      // A report is a new message at the destination's URL, whatever its mode (no thread, no edit).
      const report = formatReport
        ? async (r: Report, ctx: { timeoutMs: number }): Promise<SendResult> => {
            const answer = await postJson(urlFor ? urlFor(base) : base.href, formatReport(r, options), {
              timeoutMs: ctx.timeoutMs,
              label: spec.id,
              ...fixed,
              ...(sign ? { sign: (body: string) => sign(body, { key: `${d.name}\n${r.key}` }) } : {}),
            });
            return { status: answer.status, ...onDelivered?.(answer) };
          }
        : undefined;
      if (d.events === 'live' && live) {
        const store = common.store;
        if (!store) throw new ConfigError(`${d.field('url')}: a live message needs STATE_TABLE`);
        return {
          ...(report ? { report } : {}),
          async send(event, ctx) {
            const { calls } = await sendLive(
              store,
              d.name,
              live(base, options, event, ctx, extraFor(ctx)),
              event,
              ctx,
            );
            return { status: 200, calls };
          },
        };
      }
      return {
        ...(report ? { report } : {}),
        async send(event, ctx) {
          const { timeoutMs } = ctx;
          const url = urlFor ? urlFor(base, event) : base.href;
          const answer = await postJson(url, format(event, options, ctx), {
            timeoutMs,
            label: spec.id,
            ...extraFor(ctx),
          });
          return { status: answer.status, ...onDelivered?.(answer) };
        },
      };
    },
  };
}
