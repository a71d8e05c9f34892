// `npm run preview -- <events file> [more files]`: prints every provider's payload for each Flagger
// event in the files and writes preview/<name>.html showing Slack and Teams as people will see them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { canaryId, type FlaggerEvent, parseFlaggerEvent } from '../lib/event/event';
import { PROVIDERS } from '../lib/providers/catalog';
import { previewHtml } from './preview-html';

/** Flagger events from a raw event, a JSONL file, an HTTP API event (body) or an SQS event (Records). */
function eventsIn(file: string): unknown[] {
  const text = readFileSync(file, 'utf8');
  if (file.endsWith('.jsonl'))
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  const json = JSON.parse(text);
  if (typeof json.body === 'string') return [JSON.parse(json.body)];
  if (Array.isArray(json.Records)) return json.Records.map((r: { body: string }) => JSON.parse(r.body).event);
  return [json];
}

const files = process.argv.slice(2);
if (!files.length) {
  console.error('usage: npm run preview -- events/ingest-failed.json [more files …]');
  process.exit(2);
}
const dashboardUrl = process.env.DASHBOARD_URL || undefined;
mkdirSync('preview', { recursive: true });
for (const file of files) {
  const items = eventsIn(file).map((raw) => {
    const parsed = parseFlaggerEvent(raw);
    if (!parsed.ok) throw new Error(`${file}: not a valid Flagger event: ${parsed.errors.join('; ')}`);
    const e: FlaggerEvent = parsed.event;
    const payloads = Object.fromEntries(PROVIDERS.map((p) => [p.id, p.preview(e, dashboardUrl)]));
    return { title: canaryId(e), slack: payloads.slack, teams: payloads.teams, payloads };
  });
  for (const it of items) console.log(JSON.stringify(it.payloads, null, 2));
  const out = resolve('preview', `${basename(file).replace(/\.jsonl?$/, '')}.html`);
  writeFileSync(out, previewHtml(items));
  console.error(`wrote ${out}`);
}
