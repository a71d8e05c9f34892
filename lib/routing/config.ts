import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import type { Env } from '../env';
import { ConfigError } from '../errors';
import { KINDS, type Kind, SEVERITIES, type Severity } from '../event/classify';
import { own } from '../own';
import { PROVIDER_IDS, PROVIDERS, providerById } from '../providers/catalog';
import { envDestination } from '../providers/destination';
import type { DestinationDef } from '../providers/provider';
import '../zod';
import { type Route, routeLabel } from './match';
import { digestSchema, quietSchema } from './schedule';
import { readSchedules, type Schedules } from './schedules';
import { type CompiledTemplate, compileTemplate, type TemplateDef, templateSchema } from './template';

export type { DigestTarget, Schedules } from './schedules';
export type { DestinationDef };

export interface RoutingConfig {
  /** Where it came from: `env` (zero-config) or the file / SSM parameter. */
  source: string;
  destinations: Record<string, DestinationDef>;
  routes: Route[];
  /**
   * Own wording (docs/templates.md): a destination's, and a route's for what it sends; parsed
   * once, here, so a syntax error fails the load and nothing parses them again.
   */
  templates?: { destinations: Record<string, CompiledTemplate>; routes: Record<string, CompiledTemplate> };
  /** Digests and quiet hours (docs/routing.md), where the file sets any. */
  schedules?: Schedules;
}

/** A template and where it is written, for errors: `flagger-notify.yaml: destinations.ops.template (line 7)`. */
interface Located {
  def: TemplateDef;
  where: string;
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

// Each type accepts exactly its provider's options: one that belongs to another type is an error,
// not silently dropped. Values are checked again, field by field, by the provider's own schema.
const destinationSchemas = new Map<string, z.ZodMiniType>(
  PROVIDERS.map((p) => [
    p.id,
    z.strictObject({
      type: z.literal(p.id),
      ...p.options.shape,
      template: z.optional(templateSchema),
      digest: z.optional(digestSchema),
      quiet: z.optional(quietSchema),
      // How it follows rollouts, among the modes the provider has (live, milestones, all).
      ...(p.modes.length > 1
        ? {
            events: z.optional(
              z.enum(p.modes as [string, ...string[]], { error: `must be ${p.modes.join(' or ')}` }),
            ),
          }
        : {}),
    }),
  ]),
);
const destinationSchema = z.looseObject({
  type: z.enum(PROVIDER_IDS as [string, ...string[]], {
    error: `must be one of ${PROVIDER_IDS.join(', ')}`,
  }),
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
      cluster: z.optional(list(z.string())),
      // Any metadata key a per-canary webhook sets (team, env, …), each a glob or a list of them.
      metadata: z.optional(
        z.record(z.string().check(z.regex(/^[\w.-]{1,63}$/, 'must be a metadata key')), list(z.string())),
      ),
    }),
  ),
  include: z.optional(list(regex)),
  exclude: z.optional(list(regex)),
  minSeverity: z.optional(z.enum(SEVERITIES)),
  only: z.optional(list(z.enum(KINDS))),
  mute: z.optional(z.string().check(z.regex(/^\d+[smh]$/, 'must be a duration such as 30m, 2h or 90s'))),
  to: list(z.string()),
  continue: z.optional(z.boolean()),
  template: z.optional(templateSchema),
  digest: z.optional(digestSchema),
  quiet: z.optional(quietSchema),
});

const fileSchema = z.strictObject({
  destinations: z.record(name, destinationSchema),
  routes: z.optional(z.array(routeSchema)),
});

const SECONDS = { s: 1, m: 60, h: 3600 } as const;

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

type YAMLError = { message: string; linePos?: [{ line: number; col: number }, ...unknown[]] };

/**
 * The parser's first error, whole: where, what, and the line it is on with a caret (the parser's
 * own message ends "at line 3, column 1:" and puts the excerpt on the lines after it).
 */
function yamlError(e: YAMLError, text: string): string {
  const what = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  const at = e.linePos?.[0];
  if (!at) return `not valid YAML: ${what}`;
  const line = (text.split('\n')[at.line - 1] ?? '').replace(/\t/g, ' ');
  return `not valid YAML at line ${at.line}, column ${at.col}: ${what}\n  ${line}\n  ${' '.repeat(Math.max(0, at.col - 1))}^`;
}

/** Parse and check a routing file; every error names its YAML path and line. */
export async function parseRoutingConfig(text: string, env: Env, source: string): Promise<RoutingConfig> {
  // The YAML parser (~7 ms of a cold start) loads only when there is a routing file to read.
  const { LineCounter, parseDocument } = await import('yaml');
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
  if (doc.errors.length) throw new ConfigError(`${source}: ${yamlError(doc.errors[0] as YAMLError, text)}`);
  const subErrors: [(string | number)[], string][] = [];
  const raw = substitute(doc.toJS(), env, [], subErrors);
  const fail = (problems: string[]) => {
    throw new ConfigError(`${source}: ${problems.join('; ')}`);
  };
  if (subErrors.length) fail(subErrors.map(([p, m]) => `${where(p)}: ${m}`));
  const r = fileSchema.safeParse(raw);
  if (!r.success) fail(r.error.issues.map((i) => `${where(i.path)}: ${i.message}`));
  const file = r.data as z.infer<typeof fileSchema>;

  const problems: string[] = [];
  const destinations: Record<string, DestinationDef> = {};
  const sources: { destinations: Record<string, Located>; routes: Record<string, Located> } = {
    destinations: {},
    routes: {},
  };
  for (const [n, d] of Object.entries(file.destinations)) {
    const path = ['destinations', n];
    const own = destinationSchemas.get(d.type)?.safeParse(d);
    if (!own?.success) {
      for (const i of own?.error.issues ?? []) {
        const keys = (i as { keys?: string[] }).keys;
        problems.push(
          keys
            ? `${where(path)}: ${keys.map((k) => `"${k}"`).join(', ')} is not an option of type ${d.type}`
            : `${where([...path, ...i.path])}: ${i.message}`,
        );
      }
      continue;
    }
    // Digests and quiet hours are read once the routes are (readSchedules).
    const {
      type,
      events,
      template,
      digest: _d,
      quiet: _q,
      ...options
    } = own.data as Record<string, string | undefined>;
    if (template)
      sources.destinations[n] = {
        def: template as unknown as TemplateDef,
        where: `${source}: ${where([...path, 'template'])}`,
      };
    const def: DestinationDef = {
      name: n,
      type: type as string,
      options,
      ...(events ? { events: events as DestinationDef['events'] } : {}),
      field: (key) => `${source}: ${where([...path, key])}`,
    };
    // The provider's own checks (formats, pairs of options that exclude each other) at load,
    // so a bad file fails ingest and `check-config` too, not only the worker that sends.
    const checked = providerById(def.type)?.options.safeParse(options);
    if (checked && !checked.success) {
      for (const i of checked.error.issues) problems.push(`${where([...path, ...i.path])}: ${i.message}`);
    }
    destinations[n] = def;
  }
  const names = new Set<string>();
  const routes: Route[] = (file.routes ?? [{ to: Object.keys(destinations) }]).map((rt, i) => {
    for (const [j, to] of (rt.to as string[]).entries()) {
      if (!own(destinations, to))
        problems.push(`${where(['routes', i, 'to', j])}: unknown destination "${to}"`);
    }
    if (rt.name && names.has(rt.name))
      problems.push(`${where(['routes', i, 'name'])}: route name "${rt.name}" is used twice`);
    if (rt.name) names.add(rt.name);
    const mute = rt.mute?.match(/^(\d+)([smh])$/);
    if (rt.template)
      sources.routes[routeLabel({ name: rt.name }, i)] = {
        def: rt.template as TemplateDef,
        where: `${source}: ${where(['routes', i, 'template'])}`,
      };
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
  const { schedules, problems: scheduleProblems } = readSchedules(file, destinations, routes, where);
  problems.push(...scheduleProblems);
  // Each template parsed once here, so a syntax error fails the load (ingest, workers, check-config).
  const templates: NonNullable<RoutingConfig['templates']> = { destinations: {}, routes: {} };
  for (const kind of ['destinations', 'routes'] as const) {
    for (const [key, t] of Object.entries(sources[kind])) {
      try {
        templates[kind][key] = await compileTemplate(t.def, t.where);
      } catch (err) {
        problems.push((err as Error).message.slice(source.length + 2));
      }
    }
  }
  if (problems.length) fail(problems);
  const any = Object.keys(templates.destinations).length + Object.keys(templates.routes).length;
  return { source, destinations, routes, ...(any ? { templates } : {}), ...(schedules ? { schedules } : {}) };
}

/**
 * The routing in force: the YAML in CONFIG (an SSM parameter's text when deployed) or the file
 * at CONFIG_FILE; without either, one destination per provider (named like it, set from its
 * zero-config variables) and one route sending everything to all of them.
 */
export async function loadRouting(
  env: Env,
  providers: readonly string[],
  /** Ingest routes by name and type only: it never reads the providers' options (URLs and all). */
  o: { options?: boolean } = {},
): Promise<RoutingConfig> {
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
  const destinations: Record<string, DestinationDef> = {};
  for (const id of providers) {
    const p = providerById(id);
    if (p) destinations[id] = envDestination(p, o.options === false ? {} : env);
  }
  return {
    source: 'env',
    destinations,
    routes: [{ match: {}, include: [], exclude: [], to: Object.keys(destinations), continue: false }],
  };
}
