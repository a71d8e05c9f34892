import type { FleetStore } from '../rollouts/fleet';
import type { GateStore } from '../rollouts/gates';
import { checkLink } from '../rollouts/links';
import { type Story, type StoryStore, withResults } from '../rollouts/story';
import { FLEET_PATH, handleFleet } from './fleet';
import { formNonce } from './nonce';
import {
  type GateForm,
  LINK_TITLE,
  htmlResponse as page,
  problemPage,
  rolloutPage,
  type WebRequest,
  type WebResponse,
  LINK_WHY as WHY,
} from './page';
import { handlePageAction, type PageActionDeps, pageTarget, signedPath, waitsForGate } from './page-actions';

export type { WebRequest, WebResponse };

/**
 * GET /rollouts/{namespace}/{name}/{rollout}?exp=…&sig=…: one rollout's page, for a valid link
 * only; POST to the same link: its Approve / Roll back form (lib/web/page-actions.ts).
 */
export async function handleWeb(
  req: WebRequest,
  deps: {
    stories: StoryStore;
    fleet?: FleetStore;
    gates?: GateStore;
    secret?: string;
    now?: () => number;
    actions?: Omit<PageActionDeps, 'stories' | 'gates' | 'secret' | 'now'>;
  },
): Promise<WebResponse> {
  if (req.route === FLEET_PATH && deps.fleet) {
    return handleFleet(req, {
      fleet: deps.fleet,
      ...(deps.secret ? { secret: deps.secret } : {}),
      ...(deps.actions ? { approvers: deps.actions.approvers } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    });
  }
  if (req.method === 'POST' && deps.actions && deps.gates) {
    return handlePageAction(req, {
      ...deps.actions,
      stories: deps.stories,
      gates: deps.gates,
      secret: deps.secret,
      ...(deps.now ? { now: deps.now } : {}),
    });
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return page(
      405,
      problemPage(
        'Method not allowed',
        'Rollout pages are read with GET, and their gates opened with the page’s own form.',
      ),
    );
  }
  const target = pageTarget(req.params);
  if (!target) {
    return page(
      404,
      problemPage('Not a rollout page', 'The address is not /rollouts/<namespace>/<name>/<rollout>.'),
    );
  }
  if (!deps.secret) {
    return page(
      404,
      problemPage('Rollout pages are off', 'This stack has no LINK_SECRET, so no link can be checked.'),
    );
  }
  const { canary, startedAt, path } = target;
  const check = checkLink(deps.secret, path, req.query.exp, req.query.sig, deps.now?.(), req.query.k);
  if (check !== 'ok') return page(403, problemPage(LINK_TITLE[check], WHY[check]));
  const current = await deps.stories.get(canary);
  let story: Story | undefined = current?.value.rollout.startedAt === startedAt ? current.value : undefined;
  story ??= (await deps.stories.get(canary, startedAt))?.value;
  if (!story) {
    return page(
      404,
      problemPage(
        'Unknown rollout',
        'No such rollout is kept (pages are kept 30 days after their last event).',
      ),
    );
  }
  const audit = (await deps.gates?.get(canary))?.value.audit ?? [];
  // The form only on the running rollout's page, while a gate waits, where the page may act.
  const form: GateForm | undefined =
    deps.actions && deps.actions.approvers.mode !== 'off' && current?.value === story && waitsForGate(story)
      ? {
          action: signedPath(path, req.query),
          nonce: formNonce(deps.secret, path, deps.now?.()),
        }
      : undefined;
  return page(200, rolloutPage(await withResults(deps.stories, story), audit, form));
}
