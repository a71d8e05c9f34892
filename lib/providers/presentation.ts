import { type Classification, classify, type Facts, type Kind, type Severity } from '../event/classify';
import { canaryId, eventTime, extraMetadata, type FlaggerEvent } from '../event/event';
import { plainText } from '../event/text';
import type { Wording } from './provider';

/** What every provider shows, decided once; providers only translate it into their markup. */
export interface Presentation {
  c: Classification;
  emoji: string;
  title: string;
  /** Flagger's message as chat shows it: HTML stripped, a few hundred characters at most. */
  message: string;
  /** The rollout's state as the message says it (Flagger's phase lags on non-milestone events). */
  state: string;
  /** green for success, red for errors, amber for warnings, neutral otherwise: a provider's colour key */
  tone: 'good' | 'bad' | 'warn' | 'neutral';
  progress?: { fraction: number; label: string };
  /** Parsed numbers worth a line of their own (metric, failed checks, webhook). */
  details: [string, string][];
  extras: [string, string][];
  time: Date;
  link?: { title: string; url: string };
  /** The rollout's page (a signed link), when the stack serves pages. */
  rollout?: { title: string; url: string };
}

const EMOJI: Record<Kind, string> = {
  started: '🚀',
  progress: '⏩',
  waiting: '⏸️',
  'check-failed': '⚠️',
  succeeded: '✅',
  failed: '❌',
  'rolled-back': '⏪',
  initialized: '🌱',
  terminated: '🗑️',
  other: 'ℹ️',
};

const LABEL: Record<Kind, string> = {
  started: 'New revision',
  progress: 'Progressing',
  waiting: 'Waiting',
  'check-failed': 'Check failed',
  succeeded: 'Promoted',
  failed: 'Failed',
  'rolled-back': 'Rolling back',
  initialized: 'Initialized',
  terminated: 'Terminated',
  other: 'Event',
};

// What the message says of the rollout's state; `other` messages fall back to Flagger's phase.
const STATE: Record<Kind, string | undefined> = {
  started: 'Progressing',
  progress: 'Progressing',
  waiting: 'Waiting',
  'check-failed': 'Progressing',
  succeeded: 'Succeeded',
  failed: 'Failed',
  'rolled-back': 'Failed',
  initialized: 'Initialized',
  terminated: 'Terminated',
  other: undefined,
};

/** The state a message implies; promotion's steps say Promoting, `other` keeps Flagger's phase. */
function stateOf(c: Classification, event: FlaggerEvent): string {
  const promoting =
    c.kind === 'progress' &&
    (c.facts.primaryWeight !== undefined ||
      /^(Copying \S+ template spec|Routing all traffic to primary)/.test(event.metadata.eventMessage));
  return promoting ? 'Promoting' : (STATE[c.kind] ?? (event.phase || 'none'));
}

/** Chat shows this much of a message; the generic webhook and dead letters keep all of it. */
export const CHAT_MESSAGE_MAX = 500;

function toneOf(kind: Kind, severity: Severity): Presentation['tone'] {
  if (kind === 'succeeded') return 'good';
  return severity === 'error' ? 'bad' : severity === 'warn' ? 'warn' : 'neutral';
}

function progressOf(f: Facts): Presentation['progress'] {
  if (f.canaryWeight !== undefined)
    return { fraction: f.canaryWeight / 100, label: `canary weight ${f.canaryWeight}%` };
  if (f.iteration)
    return {
      fraction: f.iteration.n / f.iteration.of,
      label: `iteration ${f.iteration.n}/${f.iteration.of}`,
    };
  if (f.primaryWeight !== undefined)
    return { fraction: f.primaryWeight / 100, label: `primary weight ${f.primaryWeight}%` };
  return undefined;
}

function detailsOf(f: Facts): [string, string][] {
  const out: [string, string][] = [];
  if (f.metric)
    out.push([
      'Metric',
      [f.metric.name, f.metric.value, f.metric.threshold && `(threshold ${f.metric.threshold})`]
        .filter(Boolean)
        .join(' '),
    ]);
  if (f.failedChecks !== undefined) out.push(['Failed checks', String(f.failedChecks)]);
  if (f.webhook) out.push(['Webhook', f.webhook]);
  return out;
}

/** `███░░░░░░░` for a fraction: readable on a phone, no image needed. */
export function progressBar(fraction: number, cells = 10): string {
  const full = Math.max(0, Math.min(cells, Math.round(fraction * cells)));
  return '█'.repeat(full) + '░'.repeat(cells - full);
}

/**
 * A dashboard link from a template such as `https://grafana/d/x?var-ns={namespace}&var-app={name}`;
 * the values are URL-encoded so an odd name cannot change where the link goes.
 */
export function dashboardLink(template: string | undefined, e: FlaggerEvent): Presentation['link'] {
  if (!template) return undefined;
  const url = template.replace(/\{(namespace|name)\}/g, (_, k: 'namespace' | 'name') =>
    encodeURIComponent(e[k]),
  );
  return { title: 'Open dashboard', url };
}

/** Every message's way to its rollout's whole story (docs/rollout-page.md). */
export const ROLLOUT_LINK_TITLE = 'Rollout details';

/** What every chat message shows; a destination's template (`wording`) replaces its title, text and detail rows. */
export function present(
  event: FlaggerEvent,
  dashboardUrl?: string,
  rolloutUrl?: string,
  wording?: Wording,
): Presentation {
  const c = classify(event);
  return {
    c,
    emoji: EMOJI[c.kind],
    title: wording?.title ?? `${canaryId(event)} · ${LABEL[c.kind]}`,
    message: wording?.text ?? plainText(event.metadata.eventMessage, CHAT_MESSAGE_MAX),
    state: stateOf(c, event),
    tone: toneOf(c.kind, c.severity),
    progress: progressOf(c.facts),
    details: wording?.fields ?? detailsOf(c.facts),
    extras: wording?.fields ? [] : extraMetadata(event),
    time: eventTime(event),
    link: dashboardLink(dashboardUrl, event),
    ...(rolloutUrl ? { rollout: { title: ROLLOUT_LINK_TITLE, url: rolloutUrl } } : {}),
  };
}

/** The facts a card lists under the message: state, event type, progress, parsed numbers, metadata. */
export function factRows(event: FlaggerEvent, p: Presentation): [string, string][] {
  return [
    ['State', p.state],
    ['Event', event.metadata.eventType],
    ...(p.progress
      ? [['Progress', `${progressBar(p.progress.fraction)} ${p.progress.label}`] as [string, string]]
      : []),
    ...p.details,
    ...p.extras,
  ];
}

/** The links a message offers, its rollout's page first. */
export const linksOf = (p: Presentation): { title: string; url: string }[] =>
  [p.rollout, p.link].filter((l): l is { title: string; url: string } => Boolean(l));

/** One colour per tone, as `#rrggbb`, shared by every provider that colours its messages. */
export const TONE_COLOR: Record<Presentation['tone'], string> = {
  good: '#2eb886',
  bad: '#d40e0d',
  warn: '#daa038',
  neutral: '#9aa5b1',
};
