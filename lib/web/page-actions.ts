import * as z from 'zod/mini';
import { type Env, intEnv, optionalEnv, parseEnv } from '../env';
import { ConfigError } from '../errors';
import {
  type CanaryRef,
  canaryLabel,
  isClusterName,
  isKubernetesName,
  isKubernetesNamespace,
} from '../event/event';
import { logger } from '../log';
import { own } from '../own';
import type { GateKind, GateStore } from '../rollouts/gates';
import { checkLink, rolloutPath } from '../rollouts/links';
import type { Story, StoryStore } from '../rollouts/story';
import { handleGate, oneLine, runningRollout } from './gates';
import { checkNonce } from './nonce';
import { LINK_TITLE, LINK_WHY, htmlResponse as page, problemPage, type WebResponse } from './page';

/**
 * Who may act from a rollout page: nobody unless the deployer chooses (a link pasted into a ticket
 * or forwarded must not promote a canary), the listed emails as the SSO proxy in front of the API
 * says in a header, or, explicitly, anyone holding its signed link (docs/gates.md).
 */
export interface PageApprovers {
  mode: 'anyone' | 'off' | 'listed';
  emails: readonly string[];
  header: string;
  /** Distinct listed approvers needed to open a gate from the page (PAGE_MIN_APPROVALS). */
  minApprovals: number;
}

const email = z
  .string()
  .check(
    z.regex(/^[^\s@,]+@[^\s@,]+$/, 'must be off, anyone-with-link, or a comma-separated list of emails'),
  );
const schema = z.object({
  PAGE_APPROVERS: optionalEnv(
    z.pipe(
      z.transform((v: unknown) =>
        String(v)
          .split(',')
          .map((s) => s.trim().toLowerCase())
          .filter(Boolean),
      ),
      z.union([z.tuple([z.literal('off')]), z.tuple([z.literal('anyone-with-link')]), z.array(email)]),
    ),
  ),
  PAGE_APPROVER_HEADER: optionalEnv(
    z.string().check(z.regex(/^[a-z0-9-]{1,64}$/i, 'must be an HTTP header name such as x-forwarded-email')),
  ),
  PAGE_MIN_APPROVALS: intEnv(1, 1, 10),
});

/** PAGE_APPROVERS (unset or `off`: nobody; emails; `anyone-with-link`) and PAGE_APPROVER_HEADER. */
export function pageApprovers(env: Env): PageApprovers {
  const e = parseEnv(schema, env, 'rollout page approvals');
  const list = (e.PAGE_APPROVERS ?? ['off']) as string[];
  const mode = list[0] === 'off' ? 'off' : list[0] === 'anyone-with-link' ? 'anyone' : 'listed';
  // A quorum counts distinct people: only names the SSO proxy vouches for can be told apart.
  if (e.PAGE_MIN_APPROVALS > 1 && mode !== 'listed')
    throw new ConfigError(
      'invalid rollout page approvals configuration: PAGE_MIN_APPROVALS: needs PAGE_APPROVERS to list emails (a quorum counts distinct people)',
    );
  if (e.PAGE_MIN_APPROVALS > list.length && mode === 'listed')
    throw new ConfigError(
      `invalid rollout page approvals configuration: PAGE_MIN_APPROVALS: ${e.PAGE_MIN_APPROVALS} is more than the ${list.length} approvers listed`,
    );
  return {
    mode,
    emails: mode === 'listed' ? list : [],
    header: (e.PAGE_APPROVER_HEADER ?? 'x-forwarded-email').toLowerCase(),
    minApprovals: e.PAGE_MIN_APPROVALS,
  };
}

/** Who the SSO proxy says is asking (its header, lower-cased), when approvers are listed emails. */
export const ssoIdentity = (
  a: PageApprovers,
  headers: Record<string, string | undefined> | undefined,
): string | undefined => (a.mode === 'listed' ? headers?.[a.header]?.trim().toLowerCase() : undefined);

/** A rollout that runs and waits for approval: the moment the page offers Approve / Roll back. */
export const waitsForGate = (s: Story): boolean =>
  s.rollout.status === 'waiting' && s.rollout.gates.some((g) => !g.passed);

export interface PageActionDeps {
  stories: StoryStore;
  gates: GateStore;
  secret?: string;
  approvers: PageApprovers;
  /** Remembers a form's nonce; false when it was used before. */
  firstSeen(nonce: string): Promise<boolean>;
  /** How long an approval lasts (APPROVAL_TTL); unset: until its rollout ends. */
  ttlMs?: number;
  now?: () => number;
}

/** A page's address: `/rollouts/{namespace}/{name}/{rollout}`, under `/clusters/{cluster}` in a fleet. */
export function pageTarget(params: {
  cluster?: string;
  namespace?: string;
  name?: string;
  rollout?: string;
}): { canary: CanaryRef; startedAt: number; path: string } | undefined {
  const { cluster, namespace, name, rollout = '' } = params;
  if (!isKubernetesNamespace(namespace) || !isKubernetesName(name) || !/^\d{1,16}$/.test(rollout))
    return undefined;
  if (cluster !== undefined && !isClusterName(cluster)) return undefined;
  const canary = { namespace, name, ...(cluster ? { cluster } : {}) };
  return { canary, startedAt: Number(rollout), path: rolloutPath(canary, Number(rollout)) };
}

/** The page's own signed link, relative: where its form posts, and where a sent form returns. */
export const signedPath = (path: string, q: Record<string, string | undefined>) =>
  `${path}?exp=${encodeURIComponent(q.exp ?? '')}&sig=${encodeURIComponent(q.sig ?? '')}${q.k ? `&k=${encodeURIComponent(q.k)}` : ''}`;

const ACTIONS: Record<string, { kind: GateKind; action: 'open' | 'reject' }> = {
  approve: { kind: 'gate', action: 'open' },
  rollback: { kind: 'rollback', action: 'open' },
  reject: { kind: 'gate', action: 'reject' },
};

/** A rejection's reason: one line of text, said in the audit, the page and the messages. */
export const REASON_MAX = 300;

const refuse = (status: number, title: string, detail: string) => page(status, problemPage(title, detail));

/**
 * POST to a rollout page's signed link: its Approve / Roll back form. Checked in order: the
 * address, the link's signature, that the page may act at all, the form and its nonce (drawn by
 * this stack for this page, within the hour), the approver, that the nonce was not used before,
 * and that this rollout still runs; only then the gate opens, as the API opens it, and the browser
 * is sent back to the page (303), where the audit trail shows the change.
 */
export async function handlePageAction(
  req: {
    params: { cluster?: string; namespace?: string; name?: string; rollout?: string };
    query: Record<string, string | undefined>;
    headers?: Record<string, string | undefined>;
    body?: string;
  },
  deps: PageActionDeps,
): Promise<WebResponse> {
  const now = (deps.now ?? Date.now)();
  const target = pageTarget(req.params);
  if (!target)
    return refuse(404, 'Not a rollout page', 'The address is not /rollouts/<namespace>/<name>/<rollout>.');
  if (!deps.secret) return refuse(404, 'Rollout pages are off', 'This stack has no LINK_SECRET.');
  const { canary, startedAt, path } = target;
  const link = checkLink(deps.secret, path, req.query.exp, req.query.sig, now, req.query.k);
  if (link !== 'ok') return refuse(403, LINK_TITLE[link], LINK_WHY[link]);
  if (deps.approvers.mode === 'off')
    return refuse(
      403,
      'Not from this page',
      'Approving from the rollout page is off. To turn it on, deploy with PAGE_APPROVERS set to the emails your SSO proxy names (or to anyone-with-link).',
    );
  const form = new URLSearchParams(req.body ?? '');
  const act = own(ACTIONS, form.get('action') ?? undefined);
  if (!act) return refuse(400, 'Bad form', 'action: must be approve, reject or rollback.');
  const reason = oneLine(form.get('reason'));
  if (act.action === 'reject' && !reason)
    return refuse(400, 'Bad form', 'reason: say why you reject this revision.');
  if (reason.length > REASON_MAX) return refuse(400, 'Bad form', `reason: at most ${REASON_MAX} characters.`);
  const nonce = form.get('nonce') ?? undefined;
  const fresh = checkNonce(deps.secret, path, nonce, now);
  if (fresh === 'expired')
    return refuse(403, 'Form expired', 'This form is over an hour old: reload the page and try again.');
  if (fresh !== 'ok') return refuse(403, 'Bad form', `nonce: ${fresh}; send the form from the rollout page.`);
  let by = 'someone with the link';
  if (deps.approvers.mode === 'listed') {
    const who = ssoIdentity(deps.approvers, req.headers);
    if (!who || !deps.approvers.emails.includes(who))
      return refuse(
        403,
        'Not an approver',
        who
          ? `${who} is not an approver.`
          : `No identity in ${deps.approvers.header}: sign in through your SSO proxy.`,
      );
    by = who;
  }
  if (!(await deps.firstSeen(nonce as string)))
    return refuse(409, 'Already sent', 'This form was already sent: reload the page to see what it did.');
  const story = await runningRollout(deps.stories, canary, startedAt);
  if (!story || !waitsForGate(story))
    return refuse(
      409,
      'Nothing to approve',
      'This rollout has ended, moved on, or another one is running: nothing changed.',
    );
  const res = await handleGate(
    act.kind,
    act.action,
    canary,
    // Who counts toward a quorum is `by`: an SSO-named email, or the one "someone with the link".
    { by: by.slice(0, 128), how: 'link', ...(act.action === 'reject' ? { reason } : {}) },
    {
      ...deps,
      now: () => now,
      rules: {
        minApprovals: deps.approvers.minApprovals,
        ...(deps.ttlMs ? { ttlMs: deps.ttlMs } : {}),
      },
    },
  );
  if (res.statusCode !== 202) return refuse(res.statusCode, 'Nothing changed', res.body);
  logger.info('gate form sent', { canary: canaryLabel(canary), gate: act.kind, result: res.body });
  return page(303, problemPage(res.body, 'Back to the rollout page…'), {
    location: signedPath(path, req.query),
  });
}
