import * as z from 'zod/mini';
import { ConfigError } from '../errors';
import type { CommonSettings, DestinationDef } from './provider';

/** `hooks.slack.com` matches itself; `*.logic.azure.com` matches any host below it. */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.startsWith('*.') ? host.endsWith(p.slice(1)) : host === p));
}

/**
 * The destination's URL, checked. Never quoted in an error: a webhook URL is a credential. A
 * deployed stage posts only over https to the provider's own hosts (plus WEBHOOK_ALLOWED_HOSTS),
 * so a tampered setting cannot turn the relay into a way to send events anywhere.
 */
export function destinationUrl(
  d: DestinationDef,
  common: Pick<CommonSettings, 'deployed' | 'extraAllowedHosts'>,
  allowedHosts: readonly string[],
  key = 'url',
): URL {
  const where = d.field(key);
  const raw = d.options[key];
  if (!raw) throw new ConfigError(`${where}: is not set`);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${where}: must be a URL`);
  }
  if (!/^https?:$/.test(u.protocol)) throw new ConfigError(`${where}: must be an http(s) URL`);
  if (!common.deployed) return u;
  if (u.protocol !== 'https:') throw new ConfigError(`${where}: must be https in a deployed stage`);
  // A provider without its own hosts (self-hosted Rocket.Chat, Mattermost, any webhook) is
  // limited to what the deployer lists.
  const allowed = [...allowedHosts, ...common.extraAllowedHosts];
  if (!hostAllowed(u.hostname, allowed)) {
    throw new ConfigError(
      `${where}: host ${u.hostname} is not an allowed webhook host${allowed.length ? ` (${allowed.join(', ')})` : ''}; add it to WEBHOOK_ALLOWED_HOSTS`,
    );
  }
  return u;
}

/**
 * A token-based platform's API base (`apiUrl`, else the platform's own), checked like any
 * destination URL, without a trailing slash: `<base>/<method>` is what is called.
 */
export function apiBase(
  d: DestinationDef,
  common: Pick<CommonSettings, 'deployed' | 'extraAllowedHosts'>,
  fallback: string,
  allowedHosts: readonly string[],
): string {
  const apiUrl = d.options.apiUrl || fallback;
  return destinationUrl(
    { ...d, options: { ...d.options, apiUrl } },
    common,
    allowedHosts,
    'apiUrl',
  ).href.replace(/\/+$/, '');
}

/** The destination's options through the provider's schema; errors name the field, not the value. */
export function parseOptions<T>(d: DestinationDef, schema: z.ZodMiniType<T>): T {
  const r = schema.safeParse(d.options);
  if (r.success) return r.data;
  throw new ConfigError(
    r.error.issues
      .map(
        (i) =>
          `${d.field(String(i.path[0] ?? ''))}: ${i.code === 'invalid_type' ? 'is not valid' : i.message}`,
      )
      .join('; '),
  );
}

/** Optional string option with a check; empty means unset (serverless.yml passes `''`). */
export const opt = <T extends z.ZodMiniType>(schema: T) =>
  z.pipe(
    z.transform((v: unknown) => (v === '' ? undefined : v)),
    z.optional(schema),
  );

/** Two options that exclude each other (an emoji or an icon URL): the error names the second. */
export const notBoth = <T extends Record<string, unknown>>(
  a: keyof T & string,
  b: keyof T & string,
  message: string,
) => z.refine<T>((o) => !(o[a] && o[b]), { message, path: [b] });

/**
 * Without a routing file, a provider's one destination (named like it) comes from its
 * zero-config variables: `DISCORD_WEBHOOK_URL`, `SLACK_USERNAME`, …
 */
export function envDestination(
  p: { id: string; env: Readonly<Record<string, string>> },
  env: Record<string, string | undefined>,
): DestinationDef {
  const options: Record<string, string | undefined> = {};
  for (const [key, name] of Object.entries(p.env)) if (env[name]) options[key] = env[name];
  const events = (p as { modes?: readonly string[] }).modes?.find((m) => m === env.EVENTS) as
    | DestinationDef['events']
    | undefined;
  return {
    name: p.id,
    type: p.id,
    options,
    ...(events ? { events } : {}),
    field: (key) => p.env[key] ?? key,
  };
}
