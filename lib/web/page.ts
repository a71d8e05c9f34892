import { createHash } from 'node:crypto';
import type { GateChange } from '../rollouts/gates';
import { type DeliveryResult, idsOf, type Story, type StoryEvent } from '../rollouts/story';
import { isEnded, type Rollout } from '../rollouts/tracker';

/** Every value that reaches the page passes through here: it can only ever be text. */
export const esc = (v: unknown): string =>
  String(v ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const CSS = `body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;color:#1d1c1d;background:#f6f6f6}
main{max-width:960px;margin:0 auto;padding:16px}h1{font-size:20px;margin:8px 0}h2{font-size:16px;margin:24px 0 8px}
.card{background:#fff;border-radius:6px;box-shadow:0 1px 3px #0002;padding:12px 16px;margin:8px 0}
.facts{display:flex;flex-wrap:wrap;gap:8px 24px}.facts b{display:block;font-size:12px;color:#666}
table{border-collapse:collapse;width:100%;background:#fff;font-size:14px}td,th{border-bottom:1px solid #eee;padding:6px 8px;text-align:left;vertical-align:top}
th{font-size:12px;color:#666}td.msg{white-space:pre-wrap;word-break:break-word}.muted{color:#595959;font-size:12px}
.s-delivered{color:#1a7f4b}.s-retrying{color:#9a6700}.s-dead-lettered{color:#c62828;font-weight:bold}.s-not-sent{color:#595959}.s-held{color:#595959}
.status-failed{color:#c62828}.status-promoted{color:#1a7f4b}
form.gate{display:flex;flex-wrap:wrap;gap:8px;margin-top:8px}form.gate input{font:inherit;padding:6px;min-width:14em}form.gate button{font:inherit;padding:6px 14px;border-radius:4px;border:1px solid #888;background:#fff;cursor:pointer}
form.gate button.approve{background:#1a7f4b;border-color:#1a7f4b;color:#fff}form.gate button.rollback{color:#c62828;border-color:#c62828}
form.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0}form.filters select,form.filters button{font:inherit;padding:4px 8px}
.group td{background:#f0f0f0;font-weight:bold;font-size:12px}
@media (max-width:640px){td,th{padding:4px}table{font-size:13px}.hide-narrow{display:none}}`;

/** The page's only style, allowed by hash: the Content-Security-Policy forbids everything else. */
export const PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(CSS).digest('base64')}'; img-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`;

export interface WebRequest {
  method: string;
  /** The route's path as the API declares it (`/fleet`, `/rollouts/{namespace}/{name}/{rollout}`). */
  route?: string;
  params: { cluster?: string; namespace?: string; name?: string; rollout?: string };
  query: Record<string, string | undefined>;
  headers?: Record<string, string | undefined>;
  body?: string;
}

export interface WebResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Every page's answer: only this page's style, never cached, never sent on as a Referer. */
export const htmlResponse = (
  statusCode: number,
  body: string,
  extra: Record<string, string> = {},
): WebResponse => ({
  statusCode,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': PAGE_CSP,
    // A signed link is a credential: never sent on as a Referer, never cached by a proxy.
    'referrer-policy': 'no-referrer',
    'cache-control': 'private, no-store',
    'x-content-type-options': 'nosniff',
    ...extra,
  },
  body,
});

/** What is wrong with a link, as a page's title. */
export const LINK_TITLE = {
  missing: 'Link missing',
  tampered: 'Link tampered',
  expired: 'Link expired',
  'signed-elsewhere': 'Link from another secret',
} as const;

/** What is wrong with a link, said plainly (and nothing about any rollout). */
export const LINK_WHY = {
  missing: 'This link has no signature: open the page from a flagger-notify message.',
  tampered:
    'This link’s signature does not match: it was altered, or signed before the link secret was rotated.',
  expired: 'This link has expired. Open a newer message of the rollout for a fresh one.',
  'signed-elsewhere':
    'This link was signed with another link secret: the stack’s LINK_SECRET changed since (rotated, or npm start restarted: it draws a new secret each run unless LINK_SECRET is set). Open a newer message’s link; to keep links across restarts, set LINK_SECRET (in .env for npm start).',
} as const;

/** The page's Approve / Roll back form: where it posts (the signed link) and its one-time nonce. */
export interface GateForm {
  action: string;
  nonce: string;
}

export const time = (ms: number | undefined) =>
  ms === undefined ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
/** An event's time, or the span its repeats came in. */
const when = (e: StoryEvent) =>
  e.repeat && e.lastAt !== undefined && e.lastAt !== e.at
    ? `${time(e.at)} – ${time(e.lastAt).slice(11)}`
    : time(e.at);
const duration = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60
    ? `${s}s`
    : s < 3600
      ? `${Math.floor(s / 60)}m ${s % 60}s`
      : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
};

export function shell(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${esc(title)}</title><style>${CSS}</style></head><body><main>${body}</main></body></html>`;
}

function facts(r: Rollout): string {
  const rows: [string, string][] = [
    ['Status', r.status],
    ['Started', time(r.startedAt)],
    [isEnded(r) ? 'Took' : 'Running for', duration((r.endedAt ?? r.updatedAt) - r.startedAt)],
    ['Revision', r.revision ?? 'pending'],
    ['Events', String(r.events)],
  ];
  if (r.weight !== undefined) rows.push(['Canary weight', `${r.weight}%`]);
  if (r.iteration) rows.push(['Iteration', `${r.iteration.n}/${r.iteration.of}`]);
  if (r.failedChecks !== undefined) rows.push(['Failed checks', String(r.failedChecks)]);
  return `<div class="card facts">${rows.map(([k, v]) => `<div><b>${esc(k)}</b>${esc(v)}</div>`).join('')}</div>`;
}

function result(r: DeliveryResult | undefined): string {
  if (!r) return '<span class="muted">—</span>';
  const parts = [
    r.status !== undefined ? `status ${r.status}` : '',
    r.attempts !== undefined ? `attempt ${r.attempts}` : '',
    r.nextTryAt !== undefined && r.state === 'retrying' ? `next try ${time(r.nextTryAt)}` : '',
    r.sent ? `sent ${r.sent}` : '',
  ].filter(Boolean);
  return `<span class="s-${esc(r.state)}">${esc(r.state)}</span> <span class="muted">${esc(time(r.at))}${parts.length ? ` · ${esc(parts.join(' · '))}` : ''}</span>${r.detail ? `<div class="muted">${esc(r.detail)}</div>` : ''}`;
}

/** One rollout's page: its facts, every event, and what each destination was sent and what happened. */
export function rolloutPage(s: Story, audit: readonly GateChange[] = [], form?: GateForm): string {
  const r = s.rollout;
  const title = `${s.namespace}/${s.name} · ${r.status}`;
  const checks = [
    ...r.passed.map((p) => `<li>✓ ${esc(p)}</li>`),
    ...r.failed.map(
      (c) =>
        `<li>✗ ${esc(c.name)}${c.count > 1 ? ` (${c.count}×)` : ''}<div class="muted">${esc(c.last)}</div></li>`,
    ),
  ];
  const gates = [
    ...r.gates.map((g) => `<li>${g.passed ? '✓ passed' : '⏸ waiting'}: ${esc(g.name)}</li>`),
    // Who opened or closed this rollout's gates, how and when (the audit trail).
    ...audit.filter((a) => a.rollout === r.startedAt).map(auditLine),
  ];
  const timeline = s.events
    .map(
      (e) =>
        `<tr><td>${esc(when(e))}</td><td class="hide-narrow">${esc(e.phase || '—')}</td><td>${esc(e.kind)}</td><td class="msg">${esc(e.message)}${e.repeat ? ` <span class="muted">(${e.repeat}×)</span>` : ''}</td></tr>`,
    )
    .join('');
  const destinations = Object.entries(s.destinations)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, d]) => {
      const rows = s.events
        .map((e) => ({ e, got: idsOf(e).flatMap((id) => (d.results[id] ? [d.results[id]] : [])) }))
        .filter((x) => x.got.length)
        .map(({ e, got }) => {
          // A repeated event: its latest result, and how many of its repeats this destination got.
          const latest = got.reduce((a, b) => (b.at >= a.at ? b : a));
          const count = got.length > 1 ? ` <span class="muted">(${got.length}×)</span>` : '';
          return `<tr><td class="msg">${esc(when(e))} ${esc(e.message.slice(0, 120))}${count}</td><td>${result(latest)}</td></tr>`;
        });
      return `<h3>${esc(name)} <span class="muted">${esc(d.provider)}</span></h3><table><tr><th>event</th><th>result</th></tr>${rows.join('')}</table>`;
    })
    .join('');
  return shell(
    title,
    `<h1 class="status-${esc(r.status)}">${esc(title)}</h1>${facts(r)}${r.reason ? `<div class="card"><b>Why</b><div>${esc(r.reason)}</div></div>` : ''}
<h2>Checks</h2><ul class="card">${checks.join('') || '<li class="muted">none</li>'}</ul>
${gates.length ? `<h2>Approval gates</h2><div class="card"><ul>${gates.join('')}</ul>${form ? gateForm(s, form) : ''}</div>` : ''}
<h2>Timeline</h2><table><tr><th>time (UTC)</th><th class="hide-narrow">Flagger phase</th><th>what</th><th>message</th></tr>${timeline}</table>
${s.overflow ? `<p class="muted">${s.overflow} later events are not kept (a rollout keeps its first ${s.events.length}).</p>` : ''}
<h2>Destinations</h2>${destinations || '<p class="muted">no delivery recorded yet</p>'}`,
  );
}

/** What a change did, in words: approvals (and their count toward a quorum), rejections, rollbacks. */
export function changeLabel(a: GateChange): string {
  if (a.kind === 'rollback') return a.open ? 'Rolled back' : 'Rollback withdrawn';
  if (a.rejected !== undefined) return 'Rejected';
  if (a.vote && !a.open) return `Approval ${a.vote.n} of ${a.vote.of}`;
  return a.open ? 'Approved' : 'Approval withdrawn';
}

const auditLine = (a: GateChange) =>
  `<li>${esc(changeLabel(a))} by ${esc(a.by)} (${esc(a.how)}) at ${esc(time(a.at))}${a.revision ? ` · revision ${esc(a.revision)}` : ''}${a.rejected ? `<div class="muted">Reason: ${esc(a.rejected)}</div>` : ''}${a.open && a.until !== undefined ? `<div class="muted">lapses at ${esc(time(a.until))} UTC</div>` : ''}</li>`;

/**
 * Approve and Roll back while a gate waits: a POST carrying the signed link and a one-time nonce
 * (a GET never changes state: link previews and scanners fetch URLs).
 */
function gateForm(s: Story, f: GateForm): string {
  const hidden = `<input type="hidden" name="nonce" value="${esc(f.nonce)}">`;
  // Rejecting is its own form: Enter in the reason field must never press Approve.
  return `<form class="gate" method="post" action="${esc(f.action)}">${hidden}
<button class="approve" name="action" value="approve">Approve</button><button class="rollback" name="action" value="rollback">Roll back</button>
<span class="muted">for ${esc(s.namespace)}/${esc(s.name)} revision ${esc(s.rollout.revision ?? 'pending')}</span></form>
<form class="gate" method="post" action="${esc(f.action)}">${hidden}<input name="reason" required maxlength="300" placeholder="Why not this revision?" aria-label="Reason to reject">
<button name="action" value="reject">Reject</button></form>`;
}

/** A 4xx page that says what is wrong with the link, and nothing about any rollout. */
export function problemPage(title: string, detail: string): string {
  return shell(title, `<h1>${esc(title)}</h1><div class="card">${esc(detail)}</div>`);
}
