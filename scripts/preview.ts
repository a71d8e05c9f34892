// `npm run preview -- <events file> [more files]`: prints every provider's payload for each Flagger
// event in the files and writes preview/<name>.html showing Slack and Teams as people will see them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { canaryId, type FlaggerEvent, parseFlaggerEvent } from '../lib/event/event';
import { PROVIDERS } from '../lib/providers/catalog';
import { formatSlack } from '../lib/providers/slack';
import { noteMessage, rolloutMessage } from '../lib/providers/slack-app/message';
import { formatTeams, teams as teamsProvider } from '../lib/providers/teams';
import { replay } from '../lib/rollouts/replay';
import { reduce } from '../lib/rollouts/tracker';
import { loadRouting } from '../lib/routing/config';
import { templateVars } from '../lib/routing/template';
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

const rolloutsOnly = process.argv.includes('--rollouts');
const files = process.argv.slice(2).filter((a) => a !== '--rollouts');
if (!files.length) {
  console.error('usage: npm run preview -- events/ingest-failed.json [more files …]');
  process.exit(2);
}
const dashboardUrl = process.env.DASHBOARD_URL || undefined;
// With CONFIG_FILE, the first Slack and Teams destinations' templates word their previews.
const routing = process.env.CONFIG_FILE ? await loadRouting(process.env, ['slack', 'teams']) : undefined;
const templateOf = (type: string) => {
  const d = Object.values(routing?.destinations ?? {}).find((x) => x.type === type);
  return d ? routing?.templates?.destinations[d.name] : undefined;
};
const templates = { slack: templateOf('slack'), teams: templateOf('teams') };
const worded = (type: 'slack' | 'teams', e: FlaggerEvent) => {
  const out = templates[type]?.render(templateVars(e, reduce(undefined, e).rollout));
  if (out && 'error' in out) console.error(`template: ${out.error}`);
  return out && 'wording' in out ? out.wording : undefined;
};
mkdirSync('preview', { recursive: true });
for (const file of files) {
  const items = eventsIn(file).map((raw) => {
    const parsed = parseFlaggerEvent(raw);
    if (!parsed.ok) throw new Error(`${file}: not a valid Flagger event: ${parsed.errors.join('; ')}`);
    const e: FlaggerEvent = parsed.event;
    const payloads: Record<string, unknown> = Object.fromEntries(
      PROVIDERS.map((p) => [p.id, p.preview(e, dashboardUrl)]),
    );
    const slackWording = worded('slack', e);
    if (slackWording) payloads.slack = formatSlack(e, { dashboardUrl }, { wording: slackWording });
    const teamsWording = worded('teams', e);
    if (teamsWording) payloads.teams = formatTeams(e, { dashboardUrl }, { wording: teamsWording });
    return { title: canaryId(e), slack: payloads.slack, teams: payloads.teams, payloads } as {
      title: string;
      slack: unknown;
      teams: unknown;
      payloads?: unknown;
      thread?: string[];
    };
  });
  // Each rollout in the file as the Slack app shows it at the end: one message and its thread.
  const parsed = eventsIn(file).flatMap((raw) => {
    const p = parseFlaggerEvent(raw);
    return p.ok ? [p.event] : [];
  });
  const live = replay(parsed).map((r) => ({
    title: `${r.canary} rollout, ${r.events.length} events`,
    slack: rolloutMessage(r.rollout, { namespace: r.namespace, name: r.name, dashboardUrl }),
    thread: r.notes.map((n) => noteMessage(n, n.rollout).text),
    teams: teamsProvider.preview(r.events.at(-1) as FlaggerEvent, dashboardUrl),
  }));
  // One JSON document per file: every provider's payload per event, then each rollout live.
  console.log(
    JSON.stringify(
      {
        file,
        events: items.map((it) => it.payloads),
        rollouts: live.map((l) => ({ rollout: l.title, slackApp: l.slack, thread: l.thread })),
      },
      null,
      2,
    ),
  );
  // `--rollouts` keeps only the live messages (the README's screenshot of one).
  if (rolloutsOnly) items.splice(0, items.length);
  items.push(...live);
  const out = resolve('preview', `${basename(file).replace(/\.jsonl?$/, '')}.html`);
  writeFileSync(out, previewHtml(items));
  console.error(`wrote ${out}`);
}
