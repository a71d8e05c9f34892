import * as z from 'zod/mini';
import type { FleetStore } from '../rollouts/fleet';
import { checkLink, rolloutPath, signedLink } from '../rollouts/links';
import { type CanaryMatch, inCanaryScope } from '../routing/match';
import { type FleetFilters, type FleetLine, fleetPage, matches } from './fleet-page';
import { formNonce } from './nonce';
import {
  LINK_TITLE,
  LINK_WHY,
  htmlResponse as page,
  problemPage,
  type WebRequest,
  type WebResponse,
} from './page';
import { type PageApprovers, ssoIdentity, waitsForGate } from './page-actions';

/** The fleet page's own path, as its signed link covers it (`flagger-notify link fleet`). */
export const FLEET_PATH = '/fleet';

// The link's own fields: everything else in the query is a filter.
const LINK_FIELDS = ['exp', 'sig', 'k', 'scope'];

const globs = z.optional(z.array(z.string().check(z.maxLength(200))).check(z.maxLength(50)));
const scopeSchema = z
  .array(
    z.strictObject({
      namespace: globs,
      name: globs,
      cluster: globs,
      metadata: z.optional(
        z.record(z.string().check(z.maxLength(63)), z.array(z.string().check(z.maxLength(200)))),
      ),
    }),
  )
  .check(z.minLength(1), z.maxLength(50));

/**
 * A fleet page's path: the whole fleet, or only the canaries a digest covers (its routes' canary
 * criteria), signed with the link so whoever reads that digest sees those canaries and no others.
 */
export const fleetPath = (scope?: readonly CanaryMatch[]): string =>
  scope ? `${FLEET_PATH}?scope=${Buffer.from(JSON.stringify(scope)).toString('base64url')}` : FLEET_PATH;

function scopeOf(raw: string | undefined): CanaryMatch[] | undefined | 'bad' {
  if (raw === undefined) return undefined;
  try {
    const r = scopeSchema.safeParse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    return r.success ? (r.data as CanaryMatch[]) : 'bad';
  } catch {
    return 'bad';
  }
}

/** A scope in words, for the page: `namespace shop*; team payments`. */
const scopeWords = (scope: readonly CanaryMatch[]) =>
  scope
    .map((m) =>
      [
        ...(['cluster', 'namespace', 'name'] as const).flatMap((k) =>
          m[k] ? [`${k} ${m[k].join(' or ')}`] : [],
        ),
        ...Object.entries(m.metadata ?? {}).map(([k, v]) => `${k} ${v.join(' or ')}`),
      ].join(', '),
    )
    .join('; ');
const META_KEY = /^[\w.-]{1,63}$/;

export interface FleetDeps {
  fleet: FleetStore;
  secret?: string;
  approvers?: PageApprovers;
  now?: () => number;
}

/** Who may see the fleet: a listed approver named by the SSO proxy, or whoever holds a signed link. */
function access(req: WebRequest, deps: FleetDeps & { secret: string }, now: number): WebResponse | undefined {
  // The rollout page's own rule for who an approver is (lib/web/page-actions.ts).
  const who = deps.approvers && ssoIdentity(deps.approvers, req.headers);
  if (who && deps.approvers?.emails.includes(who)) return undefined;
  const signed = req.query.scope === undefined ? FLEET_PATH : `${FLEET_PATH}?scope=${req.query.scope}`;
  const check = checkLink(deps.secret, signed, req.query.exp, req.query.sig, now, req.query.k);
  if (check === 'ok') return undefined;
  return page(
    403,
    problemPage(
      LINK_TITLE[check],
      check === 'missing'
        ? 'The fleet page opens from a signed link (npx flagger-notify link fleet) or, where PAGE_APPROVERS lists emails, through your SSO proxy.'
        : LINK_WHY[check],
    ),
  );
}

/**
 * GET /fleet?exp=…&sig=…[&cluster=…&namespace=…&team=…]: every canary at a glance (docs/fleet.md).
 * Reads only: its Approve / Roll back buttons post to each rollout's own page, which checks them
 * as it checks its own form.
 */
export async function handleFleet(req: WebRequest, deps: FleetDeps): Promise<WebResponse> {
  const now = (deps.now ?? Date.now)();
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return page(
      405,
      problemPage(
        'Method not allowed',
        'The fleet page is read with GET; its buttons post to each rollout’s page.',
      ),
    );
  if (!deps.secret)
    return page(
      404,
      problemPage('The fleet page is off', 'This stack has no LINK_SECRET, so no link can be checked.'),
    );
  const secret = deps.secret;
  const refused = access(req, { ...deps, secret }, now);
  if (refused) return refused;
  const scope = scopeOf(req.query.scope);
  if (scope === 'bad') return page(403, problemPage(LINK_TITLE.tampered, LINK_WHY.tampered));
  const filters: FleetFilters = { meta: {} };
  for (const [k, v] of Object.entries(req.query)) {
    if (!v || LINK_FIELDS.includes(k)) continue;
    if (k === 'cluster') filters.cluster = v;
    else if (k === 'namespace') filters.namespace = v;
    else if (META_KEY.test(k)) filters.meta[k] = v;
  }
  // A scoped link shows its canaries only: the filters narrow within them, never past them.
  const all = (await deps.fleet.list()).filter((r) => inCanaryScope(scope, r.entry));
  const lines: FleetLine[] = all
    .filter((r) => matches(r, filters))
    .map((row) => {
      const story = row.story;
      if (!story) return { row };
      const path = rolloutPath(row.entry, story.rollout.startedAt);
      const link = signedLink(secret, '', path, now);
      const acts = deps.approvers && deps.approvers.mode !== 'off' && waitsForGate(story);
      return { row, link, ...(acts ? { form: { action: link, nonce: formNonce(secret, path, now) } } : {}) };
    });
  const keep = Object.fromEntries(
    LINK_FIELDS.flatMap((k) => (req.query[k] ? [[k, req.query[k] as string]] : [])),
  );
  return page(200, fleetPage(lines, all, filters, keep, scope && scopeWords(scope)));
}
