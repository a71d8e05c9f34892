import { type CanaryRef, canaryKey } from '../event/event';
import type { FleetRow } from '../rollouts/fleet';
import { isEnded, type RolloutStatus } from '../rollouts/tracker';
import { esc, type GateForm, shell, time } from './page';

/** A row as the page draws it: the canary, its rollout page, and its gate form when one waits. */
export interface FleetLine {
  row: FleetRow;
  /** Its current rollout's page (a signed link). */
  link?: string;
  form?: GateForm;
}

export interface FleetFilters {
  cluster?: string;
  namespace?: string;
  /** Metadata key → value (`team=payments`). */
  meta: Record<string, string>;
}

/** Failing now first, then waiting for someone, then running, then the rest. */
const RANK: Record<RolloutStatus, number> = {
  failed: 0,
  waiting: 1,
  progressing: 2,
  initializing: 2,
  promoted: 3,
  terminated: 4,
};

const rankOf = (r: FleetRow) => (r.story ? RANK[r.story.rollout.status] : 5);

/** Rows in the page's order: by rank, then the most recent first. */
function ordered(rows: readonly FleetLine[]): FleetLine[] {
  const at = (l: FleetLine) => l.row.story?.rollout.updatedAt ?? l.row.entry.startedAt;
  return [...rows].sort((a, b) => rankOf(a.row) - rankOf(b.row) || at(b) - at(a));
}

export function matches(r: FleetRow, f: FleetFilters): boolean {
  const e = r.entry;
  if (f.cluster !== undefined && (e.cluster ?? '') !== f.cluster) return false;
  if (f.namespace !== undefined && e.namespace !== f.namespace) return false;
  return Object.entries(f.meta).every(([k, v]) => e.meta?.[k] === v);
}

const where = (c: CanaryRef) => `${c.cluster ? `${c.cluster} / ` : ''}${c.namespace} / ${c.name}`;

/** The latest outcome: the current rollout's when it ended, else the last one before it. */
function lastOutcome(r: FleetRow): { status: string; at?: number } | undefined {
  const s = r.story?.rollout;
  if (s && isEnded(s)) return { status: s.status, ...(s.endedAt !== undefined ? { at: s.endedAt } : {}) };
  const h = [...r.entry.history].reverse().find((x) => x.endedAt !== undefined);
  return h
    ? {
        status: h.rolledBack ? 'rolled back' : h.status,
        ...(h.endedAt !== undefined ? { at: h.endedAt } : {}),
      }
    : undefined;
}

function select(name: string, label: string, values: string[], chosen: string | undefined): string {
  const opts = values
    .map((v) => `<option value="${esc(v)}"${v === chosen ? ' selected' : ''}>${esc(v || '(none)')}</option>`)
    .join('');
  return `<label>${esc(label)} <select name="${esc(name)}"><option value="">all</option>${opts}</select></label>`;
}

/**
 * The fleet page (docs/fleet.md): every canary seen in the last 30 days, failing now first, with
 * its state, its last outcome and when, the gates waiting (Approve / Roll back there, with the
 * rollout page's own checks), filters by cluster, namespace and metadata, and a link to each
 * rollout's page. `keep` are the hidden fields (the link's signature) a filter keeps.
 */
export function fleetPage(
  lines: readonly FleetLine[],
  all: readonly FleetRow[],
  f: FleetFilters,
  keep: Record<string, string>,
  /** The link's scope in words, when it shows only some canaries. */
  scope?: string,
): string {
  const distinct = (xs: (string | undefined)[]) =>
    [...new Set(xs.filter((x): x is string => x !== undefined))].sort();
  const clusters = distinct(all.map((r) => r.entry.cluster ?? ''));
  const namespaces = distinct(all.map((r) => r.entry.namespace));
  const keys = distinct(all.flatMap((r) => Object.keys(r.entry.meta ?? {})));
  const filters = `<form class="filters" method="get" action="/fleet">${Object.entries(keep)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('')}
${clusters.some(Boolean) ? select('cluster', 'Cluster', clusters, f.cluster) : ''}${select('namespace', 'Namespace', namespaces, f.namespace)}
${keys.map((k) => select(k, k, distinct(all.map((r) => r.entry.meta?.[k])), f.meta[k])).join('')}<button>Filter</button></form>`;
  const rows = ordered(lines).map(({ row, link, form }) => {
    const s = row.story?.rollout;
    const state = s
      ? `<span class="status-${esc(s.status)}">${esc(s.status)}</span>`
      : '<span class="muted">unknown</span>';
    const waiting = s && s.status === 'waiting' ? s.gates.filter((g) => !g.passed).map((g) => g.name) : [];
    const out = lastOutcome(row);
    const meta = Object.entries(row.entry.meta ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const gate = waiting.length
      ? `${esc(waiting.join(', '))}${form ? `<form class="gate" method="post" action="${esc(form.action)}"><input type="hidden" name="nonce" value="${esc(form.nonce)}"><button class="approve" name="action" value="approve">Approve</button><button class="rollback" name="action" value="rollback">Roll back</button></form>` : ''}`
      : '<span class="muted">—</span>';
    const name = link ? `<a href="${esc(link)}">${esc(where(row.entry))}</a>` : esc(where(row.entry));
    return `<tr data-canary="${esc(canaryKey(row.entry))}"><td>${name}${meta ? `<div class="muted">${esc(meta)}</div>` : ''}</td><td>${state}${s ? `<div class="muted">since ${esc(time(s.startedAt))}</div>` : ''}</td><td>${out ? `<span class="status-${esc(out.status)}">${esc(out.status)}</span><div class="muted">${esc(time(out.at))}</div>` : '<span class="muted">none yet</span>'}</td><td>${gate}</td></tr>`;
  });
  const failing = lines.filter((l) => l.row.story?.rollout.status === 'failed').length;
  const waitingCount = lines.filter((l) => l.row.story?.rollout.status === 'waiting').length;
  return shell(
    'Fleet',
    `<h1>Fleet</h1><div class="card facts"><div><b>Canaries</b>${lines.length}${lines.length !== all.length ? ` of ${all.length}` : ''}</div><div><b>Failing now</b>${failing}</div><div><b>Waiting for approval</b>${waitingCount}</div></div>
${scope ? `<p class="muted">This link shows the canaries of one digest: ${esc(scope)}.</p>` : ''}${filters}
<table><tr><th>canary</th><th>now</th><th>last outcome (UTC)</th><th>gates waiting</th></tr>${rows.join('') || '<tr><td colspan="4" class="muted">No canary seen in the last 30 days matches.</td></tr>'}</table>
<p class="muted">Canaries seen in the last 30 days; a canary joins when one of its rollouts starts.</p>`,
  );
}
