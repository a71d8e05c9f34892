import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import * as z from 'zod/mini';
import type { Env } from '../config/env';
import { ConfigError } from '../errors';
import { KINDS, type Kind, SEVERITIES, type Severity } from '../event/classify';
import { CHANNEL_IDS, type ChannelId } from '../providers/ids';
import '../config/zod';
import type { Route } from './match';

export interface DestinationDef {
  name: string;
  type: ChannelId;
  url?: string;
  /** Channel options in the channel's own env names (SLACK_USERNAME, TEAMS_FORMAT, …). */
  options: Env;
}

export interface RoutingConfig {
  /** Where it came from: `env` (zero-config) or the file / SSM parameter. */
  source: string;
  destinations: Record<string, DestinationDef>;
  routes: Route[];
}

const name = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and -'));
// A value or a list of them; normalised first so errors point at the offending item.
const list = <T extends z.ZodMiniType>(item: T) =>
  z.pipe(
    z.transform((v: unknown) => (Array.isArray(v) ? v : [v])),
    z.array(item),
  );
const regex = z.string().check(
  z.refine((s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  }, 'must be a valid regular expression'),
);

const destinationSchema = z.strictObject({
  type: z.enum(CHANNEL_IDS),
  url: z.optional(z.string()),
  username: z.optional(z.string()),
  iconEmoji: z.optional(z.string()),
  iconUrl: z.optional(z.string()),
  channel: z.optional(z.string()),
  format: z.optional(z.enum(['adaptive', 'messagecard'])),
});

const routeSchema = z.strictObject({
  name: z.optional(name),
  match: z.optional(
    z.strictObject({
      namespace: z.optional(list(z.string())),
      name: z.optional(list(z.string())),
      phase: z.optional(list(z.string())),
      eventType: z.optional(list(z.enum(['Normal', 'Warning']))),
      kind: z.optional(list(z.enum(KINDS))),
      severity: z.optional(list(z.enum(SEVERITIES))),
    }),
  ),
  include: z.optional(list(regex)),
  exclude: z.optional(list(regex)),
  minSeverity: z.optional(z.enum(SEVERITIES)),
  only: z.optional(list(z.enum(KINDS))),
  mute: z.optional(z.string().check(z.regex(/^\d+[smh]$/, 'must be a duration such as 30m, 2h or 90s'))),
  to: list(z.string()),
  continue: z.optional(z.boolean()),
});

const fileSchema = z.strictObject({
  destinations: z.record(name, destinationSchema),
  routes: z.optional(z.array(routeSchema)),
});

const SECONDS = { s: 1, m: 60, h: 3600 } as const;
const OPTION_ENV: Record<string, Record<string, string>> = {
  slack: {
    username: 'SLACK_USERNAME',
    iconEmoji: 'SLACK_ICON_EMOJI',
    iconUrl: 'SLACK_ICON_URL',
    channel: 'SLACK_CHANNEL',
  },
  teams: { format: 'TEAMS_FORMAT' },
};

/** `${VAR}` in any string value reads the environment; a missing variable is an error at its path. */
function substitute(
  v: unknown,
  env: Env,
  path: (string | number)[],
  errors: [typeof path, string][],
): unknown {
  if (typeof v === 'string') {
    return v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, k: string) => {
      if (env[k] === undefined || env[k] === '') errors.push([path, `\${${k}} is not set`]);
      return env[k] ?? '';
    });
  }
  if (Array.isArray(v)) return v.map((x, i) => substitute(x, env, [...path, i], errors));
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, substitute(x, env, [...path, k], errors)]),
    );
  }
  return v;
}

/** Parse and check a routing file; every error names its YAML path and line. */
export function parseRoutingConfig(text: string, env: Env, source: string): RoutingConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const where = (path: (string | number | PropertyKey)[]) => {
    for (let p = [...path]; ; p = p.slice(0, -1)) {
      const node = doc.getIn(p as (string | number)[], true) as { range?: [number] } | undefined;
      if (node?.range)
        return `${path.map(String).join('.') || '(root)'} (line ${lines.linePos(node.range[0]).line})`;
      if (!p.length) return path.map(String).join('.') || '(root)';
    }
  };
  if (doc.errors.length)
    throw new ConfigError(`${source}: not valid YAML: ${doc.errors[0]?.message.split('\n')[0]}`);
  const subErrors: [(string | number)[], string][] = [];
  const raw = substitute(doc.toJS(), env, [], subErrors);
  const fail = (problems: string[]) => {
    throw new ConfigError(`${source}: ${problems.join('; ')}`);
  };
  if (subErrors.length) fail(subErrors.map(([p, m]) => `${where(p)}: ${m}`));
  const r = fileSchema.safeParse(raw);
  if (!r.success) fail(r.error.issues.map((i) => `${where(i.path)}: ${i.message}`));
  const file = r.data as z.infer<typeof fileSchema>;

  const destinations: Record<string, DestinationDef> = {};
  for (const [n, d] of Object.entries(file.destinations)) {
    const options: Env = {};
    for (const [k, envName] of Object.entries(OPTION_ENV[d.type] ?? {})) {
      const value = (d as Record<string, string | undefined>)[k];
      if (value !== undefined) options[envName] = value;
    }
    destinations[n] = { name: n, type: d.type, url: d.url, options };
  }
  const problems: string[] = [];
  const names = new Set<string>();
  const routes: Route[] = (file.routes ?? [{ to: Object.keys(destinations) }]).map((rt, i) => {
    for (const [j, to] of (rt.to as string[]).entries()) {
      if (!destinations[to]) problems.push(`${where(['routes', i, 'to', j])}: unknown destination "${to}"`);
    }
    if (rt.name && names.has(rt.name))
      problems.push(`${where(['routes', i, 'name'])}: route name "${rt.name}" is used twice`);
    if (rt.name) names.add(rt.name);
    const mute = rt.mute?.match(/^(\d+)([smh])$/);
    return {
      name: rt.name,
      match: (rt.match ?? {}) as Route['match'],
      include: ((rt.include ?? []) as string[]).map((s) => new RegExp(s)),
      exclude: ((rt.exclude ?? []) as string[]).map((s) => new RegExp(s)),
      minSeverity: rt.minSeverity as Severity | undefined,
      only: rt.only as Kind[] | undefined,
      muteSeconds: mute ? Number(mute[1]) * SECONDS[mute[2] as keyof typeof SECONDS] : undefined,
      to: rt.to as string[],
      continue: rt.continue ?? false,
    };
  });
  if (problems.length) fail(problems);
  return { source, destinations, routes };
}

/**
 * The routing in force: the YAML in CONFIG (an SSM parameter's text when deployed) or the file
 * at CONFIG_FILE; without either, one destination per channel (`slack`, `teams`) and one route
 * sending everything to all of them — the zero-config setup.
 */
export function loadRouting(env: Env, channels: readonly string[]): RoutingConfig {
  if (env.CONFIG) return parseRoutingConfig(env.CONFIG, env, 'CONFIG');
  if (env.CONFIG_FILE) {
    let text: string;
    try {
      text = readFileSync(env.CONFIG_FILE, 'utf8');
    } catch (e) {
      throw new ConfigError(
        `CONFIG_FILE: cannot read ${env.CONFIG_FILE}: ${(e as NodeJS.ErrnoException).code}`,
      );
    }
    return parseRoutingConfig(text, env, env.CONFIG_FILE);
  }
  const destinations = Object.fromEntries(
    channels.map((id) => [id, { name: id, type: id as ChannelId, options: {} } satisfies DestinationDef]),
  );
  return {
    source: 'env',
    destinations,
    routes: [{ match: {}, include: [], exclude: [], to: Object.keys(destinations), continue: false }],
  };
}
