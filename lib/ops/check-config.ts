import { readFileSync } from 'node:fs';
import { type FlaggerEvent, parseFlaggerEvent } from '../event/event';
import type { RoutingConfig } from '../routing/config';
import { routeEvent } from '../routing/route';

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
