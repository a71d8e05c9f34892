import type { Liquid, Template } from 'liquidjs';
import * as z from 'zod/mini';
import { classify } from '../event/classify';
import { canaryId, clusterOf, eventTime, type FlaggerEvent } from '../event/event';
import { plainText } from '../event/text';
import type { Wording } from '../providers/provider';
import type { Rollout } from '../rollouts/tracker';

/** A destination's or a route's own wording (docs/templates.md): each part optional. */
export const templateSchema = z.strictObject({
  title: z.optional(z.string().check(z.maxLength(2000))),
  text: z.optional(z.string().check(z.maxLength(8000))),
  fields: z.optional(
    z.record(z.string().check(z.minLength(1), z.maxLength(100)), z.string().check(z.maxLength(2000))),
  ),
});
export type TemplateDef = z.infer<typeof templateSchema>;

// What a rendered part may be: under every platform's own limit for that part, so a template can
// never be the reason a message is refused (check-config says so before it is deployed).
export const RENDERED_MAX = { title: 250, text: 3000, field: 1000 } as const;

/** Tags that read files: refused by the parser itself, wherever they are (a `{% liquid %}` block too). */
const FILE_TAGS = ['include', 'render', 'layout'] as const;

/**
 * The engine's bounds (liquidjs' own DoS limits): a template's source, one render's time and the
 * memory a render may allocate (ranges, arrays, joined strings). A render past one throws, which
 * check-config reports and a worker answers with the default wording.
 */
export const TEMPLATE_LIMITS = { parseLimit: 100_000, renderLimit: 200, memoryLimit: 10_000_000 } as const;

/**
 * A sandboxed engine: data only (no code), own properties only (no constructor, no __proto__), an
 * unknown variable or filter is an error, bounded (TEMPLATE_LIMITS), and no tag that reads a file
 * is parsed at all: `include`, `render` and `layout` are replaced by tags that refuse. The file
 * system is also stubbed (`stubFiles`); a test checks the refusal holds without the stub.
 */
export function sandboxedEngine(LiquidClass: typeof Liquid, stubFiles = true): Liquid {
  const liquid = new LiquidClass({
    strictVariables: true,
    strictFilters: true,
    ownPropertyOnly: true,
    lenientIf: true,
    relativeReference: false,
    ...TEMPLATE_LIMITS,
    ...(stubFiles
      ? {
          fs: {
            exists: async () => false,
            existsSync: () => false,
            readFile: async () => '',
            readFileSync: () => '',
            resolve: () => '',
          } as never,
        }
      : {}),
  });
  for (const tag of FILE_TAGS)
    liquid.registerTag(tag, {
      parse() {
        throw new Error(`templates cannot include files ({% ${tag} %})`);
      },
      *render() {},
    });
  return liquid;
}

/** The engine, loaded only by a stack that has templates (README "Dependencies and why"). */
let engine: Promise<Liquid> | undefined;
export function templateEngine(): Promise<Liquid> {
  engine ??= import('liquidjs').then(({ Liquid }) => sandboxedEngine(Liquid));
  return engine;
}

export interface CompiledTemplate {
  /** The wording for this event, or an error naming the part and the variable. */
  render(vars: TemplateVars): { wording: Wording } | { error: string };
}

/** What a template sees: the event, its canary and cluster, its metadata, its rollout and page link. */
export interface TemplateVars {
  canary: string;
  cluster: string;
  namespace: string;
  name: string;
  phase: string;
  kind: string;
  severity: string;
  message: string;
  eventType: string;
  time: string;
  checksum: string;
  metadata: Record<string, string>;
  rollout: {
    status: string;
    weight: number | null;
    iteration: string;
    failedChecks: number | null;
    revision: string;
    startedAt: string;
    duration: number;
    checks: { passed: string[]; failed: string[] };
    gates: { name: string; passed: boolean }[];
  };
  link: string;
}

export function templateVars(event: FlaggerEvent, rollout: Rollout | undefined, link?: string): TemplateVars {
  const c = classify(event);
  const { eventMessage: _m, ...metadata } = event.metadata;
  return {
    canary: canaryId(event),
    cluster: clusterOf(event) ?? '',
    namespace: event.namespace,
    name: event.name,
    phase: event.phase,
    kind: c.kind,
    severity: c.severity,
    message: plainText(event.metadata.eventMessage, RENDERED_MAX.text),
    eventType: event.metadata.eventType,
    time: eventTime(event).toISOString(),
    checksum: event.checksum ?? '',
    metadata: metadata as Record<string, string>,
    rollout: {
      status: rollout?.status ?? '',
      weight: rollout?.weight ?? null,
      iteration: rollout?.iteration ? `${rollout.iteration.n}/${rollout.iteration.of}` : '',
      failedChecks: rollout?.failedChecks ?? null,
      revision: rollout?.revision ?? '',
      startedAt: rollout ? new Date(rollout.startedAt).toISOString() : '',
      duration: rollout ? Math.round(((rollout.endedAt ?? rollout.updatedAt) - rollout.startedAt) / 1000) : 0,
      checks: { passed: rollout?.passed ?? [], failed: rollout?.failed.map((f) => f.name) ?? [] },
      gates: rollout?.gates.map((g) => ({ name: g.name, passed: g.passed })) ?? [],
    },
    link: link ?? '',
  };
}

/**
 * Parses a template once (at cold start, and in check-config): a syntax error, a file tag or an
 * unknown filter is an error naming the part (`routes.0.template.title (line 5)`), never a half-rendered message.
 */
export async function compileTemplate(def: TemplateDef, located: string): Promise<CompiledTemplate> {
  const liquid = await templateEngine();
  // `f.yaml: routes.0.template (line 5)` → each part named `f.yaml: routes.0.template.title (line 5)`.
  const [, path, line] = /^(.*?)( \(line \d+\))?$/.exec(located) as unknown as [string, string, string?];
  const at = (part: string) => `${path}.${part}${line ?? ''}`;
  const parts: [string, Template[], number][] = [];
  const add = (part: string, source: string | undefined, max: number) => {
    if (source === undefined) return;
    try {
      parts.push([part, liquid.parse(source), max]);
    } catch (err) {
      throw new Error(`${at(part)}: ${(err as Error).message.split('\n')[0]}`);
    }
  };
  add('title', def.title, RENDERED_MAX.title);
  add('text', def.text, RENDERED_MAX.text);
  for (const [k, v] of Object.entries(def.fields ?? {})) add(`fields.${k}`, v, RENDERED_MAX.field);
  return {
    render(vars) {
      const out: Record<string, string> = {};
      for (const [part, tpl, max] of parts) {
        let text: string;
        try {
          text = String(liquid.renderSync(tpl, vars as unknown as Record<string, unknown>)).trim();
        } catch (err) {
          return { error: `${at(part)}: ${(err as Error).message.split('\n')[0]}` };
        }
        if (text.length > max)
          return {
            error: `${at(part)}: renders ${text.length} characters, over the ${max} a message part may have`,
          };
        out[part] = text;
      }
      const fields = Object.entries(out)
        .filter(([k]) => k.startsWith('fields.'))
        .map(([k, v]) => [k.slice('fields.'.length), v] as [string, string]);
      return {
        wording: {
          ...(out.title !== undefined ? { title: out.title } : {}),
          ...(out.text !== undefined ? { text: out.text } : {}),
          ...(fields.length ? { fields } : {}),
        },
      };
    },
  };
}
