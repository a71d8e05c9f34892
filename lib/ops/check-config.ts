import { readFileSync } from 'node:fs';
import { canaryKey, canaryRef, type FlaggerEvent, parseFlaggerEvent } from '../event/event';
import { plural } from '../event/text';
import { type Rollout, reduce } from '../rollouts/tracker';
import type { RoutingConfig } from '../routing/config';
import { routeEvent, routeLabel } from '../routing/route';
import { describeDigest, describeQuiet, nextFire } from '../routing/schedule';
import { templateVars } from '../routing/template';

/** Events to explain: a JSON file of one event, a JSONL file, or the bundled sample rollout. */
export function eventsFrom(file: string): FlaggerEvent[] {
  const text = readFileSync(file, 'utf8');
  const raw = file.endsWith('.jsonl')
    ? text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [JSON.parse(text)];
  return raw.map((r, i) => {
    const p = parseFlaggerEvent(r);
    if (!p.ok)
      throw new Error(`${file}: event ${i + 1} is not a valid Flagger event: ${p.errors.join('; ')}`);
    return p.event;
  });
}

/** One block per event: where it goes and which route decided, or why nothing matched. */
export function explain(config: RoutingConfig, events: FlaggerEvent[], route?: string): string[] {
  return events.map((e) => {
    const d = routeEvent(e, config, route);
    const head = `${e.name}.${e.namespace} ${e.phase || '""'} ${JSON.stringify(e.metadata.eventMessage.slice(0, 70))}`;
    const to = d.destinations.length ? d.destinations.join(', ') : '(nowhere)';
    const why = d.steps.length
      ? d.steps.map(
          (s) =>
            `    route ${s.route}: ${s.outcome}${s.outcome === 'sent' ? ` → ${s.to.join(', ')}` : ''} (${s.reason})`,
        )
      : ['    no route matched'];
    return [`${head}\n  → ${to}`, ...why].join('\n');
  });
}

/** Each event's rollout so far (per canary), as a worker would word the event. */
function rolloutsSoFar(events: FlaggerEvent[]): Rollout[] {
  const rollouts = new Map<string, Rollout>();
  return events.map((e) => {
    const key = canaryKey(canaryRef(e));
    const r = reduce(rollouts.get(key), e).rollout;
    rollouts.set(key, r);
    return r;
  });
}

/**
 * Every template rendered against every event, each with its rollout so far (as a worker would
 * word it), in one pass: `problems`, one line per template part that fails, naming where it is
 * written, the error (the variable, the filter, the size) and the first event it fails on (empty
 * when all render); `samples`, each template's wording of the first event it words, so a reader
 * sees what it looks like, not only that it parses.
 */
export function renderTemplates(
  config: RoutingConfig,
  events: FlaggerEvent[],
): { problems: string[]; samples: string[] } {
  const named = [
    ...Object.entries(config.templates?.destinations ?? {}).map(
      ([n, t]) => [`destinations.${n}`, t] as const,
    ),
    ...Object.entries(config.templates?.routes ?? {}).map(([n, t]) => [`routes.${n}`, t] as const),
  ];
  if (!named.length) return { problems: [], samples: [] };
  const states = rolloutsSoFar(events);
  const problems = new Map<string, string>();
  const samples = named.map(([where, t]) => {
    let sample: string | undefined;
    events.forEach((e, i) => {
      const out = t.render(templateVars(e, states[i], 'https://example.invalid/rollouts/page'));
      if ('error' in out) {
        if (!problems.has(out.error))
          problems.set(
            out.error,
            `${out.error} — first on ${e.name}.${e.namespace} ${JSON.stringify(e.metadata.eventMessage.slice(0, 50))}`,
          );
      } else if (!sample && (out.wording.title || out.wording.text)) {
        const said = [out.wording.title, out.wording.text].filter(Boolean).join(' · ');
        sample = `  ${where}: ${JSON.stringify(said.slice(0, 160))}\n    on ${e.name}.${e.namespace} ${JSON.stringify(e.metadata.eventMessage.slice(0, 60))}`;
      }
    });
    return sample ?? `  ${where}: words none of these events`;
  });
  return { problems: [...problems.values()], samples };
}

/** The failing template parts alone (`doctor` checks a deployed routing file with them). */
export const checkTemplates = (config: RoutingConfig, events: FlaggerEvent[]): string[] =>
  renderTemplates(config, events).problems;

/**
 * What the events would do, in a few lines: per destination how many go there and through which
 * routes, and how many go nowhere (`--verbose` lists each event).
 */
export function summarize(config: RoutingConfig, events: FlaggerEvent[], route?: string): string[] {
  const per = new Map<string, { n: number; routes: Set<string> }>();
  let nowhere = 0;
  for (const e of events) {
    const d = routeEvent(e, config, route);
    if (!d.destinations.length) nowhere++;
    for (const name of d.destinations) {
      const p = per.get(name) ?? { n: 0, routes: new Set<string>() };
      p.n++;
      for (const s of d.steps) if (s.outcome === 'sent' && s.to.includes(name)) p.routes.add(s.route);
      per.set(name, p);
    }
  }
  const width = Math.max(...Object.keys(config.destinations).map((n) => n.length), 8);
  const lines = Object.entries(config.destinations).map(([name, d]) => {
    const p = per.get(name);
    const label = `${name} (${d.type})`.padEnd(width + 16);
    return p
      ? `  ${label} ${plural(p.n, 'event')}  via ${[...p.routes].join(', ')}`
      : `  ${label} none of these events`;
  });
  if (nowhere)
    lines.push(`  ${'(nowhere)'.padEnd(width + 16)} ${plural(nowhere, 'event')}: no route sends them`);
  return lines;
}

/**
 * The routing file's digests and quiet hours, a line each: who gets a digest, when, and which
 * canaries it covers; whose messages quiet hours hold, and when. When the next digest goes too.
 */
export function describeSchedules(config: RoutingConfig, now = Date.now()): string[] {
  const s = config.schedules;
  if (!s) return [];
  const lines: string[] = [];
  for (const t of s.digests) {
    const scope = t.label.startsWith('route ') ? `canaries its match selects` : `canaries its routes send it`;
    const next = nextFire(t.digest, now);
    lines.push(
      `  digest   ${t.label} → ${t.to.join(', ')}: ${describeDigest(t.digest)} (${scope}); next ${new Date(next).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    );
  }
  for (const [name, ws] of Object.entries(s.quiet.destinations))
    lines.push(`  quiet    destination ${name}: ${describeQuiet(ws)}`);
  config.routes.forEach((r, i) => {
    const ws = s.quiet.routes[routeLabel(r, i)];
    if (ws) lines.push(`  quiet    route ${routeLabel(r, i)} → ${r.to.join(', ')}: ${describeQuiet(ws)}`);
  });
  if (Object.keys(s.quiet.destinations).length || Object.keys(s.quiet.routes).length)
    lines.push('           (failures, rollbacks and approvals waiting always go through)');
  return lines;
}
