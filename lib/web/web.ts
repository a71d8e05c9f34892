import { isKubernetesName, isKubernetesNamespace } from '../event/event';
import type { GateStore } from '../rollouts/gates';
import { checkLink, rolloutPath } from '../rollouts/links';
import type { Story, StoryStore } from '../rollouts/story';
import { PAGE_CSP, problemPage, rolloutPage } from './page';

export interface WebRequest {
  method: string;
  params: { namespace?: string; name?: string; rollout?: string };
  query: Record<string, string | undefined>;
}

export interface WebResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const page = (statusCode: number, body: string): WebResponse => ({
  statusCode,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': PAGE_CSP,
    // A signed link is a credential: never sent on as a Referer, never cached by a proxy.
    'referrer-policy': 'no-referrer',
    'cache-control': 'private, no-store',
    'x-content-type-options': 'nosniff',
  },
  body,
});

const WHY = {
  missing: 'This link has no signature: open the page from a flagger-notify message.',
  tampered:
    'This link’s signature does not match: it was altered, or signed before the link secret was rotated.',
  expired: 'This link has expired. Open a newer message of the rollout for a fresh one.',
} as const;

/** GET /rollouts/{namespace}/{name}/{rollout}?exp=…&sig=…: one rollout's page, for a valid link only. */
export async function handleWeb(
  req: WebRequest,
  deps: { stories: StoryStore; gates?: GateStore; secret?: string; now?: () => number },
): Promise<WebResponse> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return page(405, problemPage('Method not allowed', 'Rollout pages are read with GET only.'));
  }
  const { namespace = '', name = '', rollout = '' } = req.params;
  if (!isKubernetesNamespace(namespace) || !isKubernetesName(name) || !/^\d{1,16}$/.test(rollout)) {
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
  const path = rolloutPath(namespace, name, Number(rollout));
  const check = checkLink(deps.secret, path, req.query.exp, req.query.sig, deps.now?.());
  if (check !== 'ok') return page(403, problemPage(`Link ${check}`, WHY[check]));
  const startedAt = Number(rollout);
  const current = await deps.stories.get(namespace, name);
  let story: Story | undefined = current?.value.rollout.startedAt === startedAt ? current.value : undefined;
  story ??= (await deps.stories.get(namespace, name, startedAt))?.value;
  if (!story) {
    return page(
      404,
      problemPage(
        'Unknown rollout',
        'No such rollout is kept (pages are kept 30 days after their last event).',
      ),
    );
  }
  const audit = (await deps.gates?.get(namespace, name))?.value.audit ?? [];
  return page(200, rolloutPage(story, audit));
}
