// Every refusal of the rollout page's form, said exactly (title and what to do), changing nothing;
// and what an accepted form passes on (who, with or without an identity for a quorum, the reason).
import { describe, expect, it } from 'vitest';
import { eventIdentity } from '../../lib/event/identity';
import { rolloutPath, signedLink } from '../../lib/rollouts/links';
import { handleGate } from '../../lib/web/gates';
import { formNonce } from '../../lib/web/nonce';
import {
  handlePageAction,
  type PageApprovers,
  pageApprovers,
  waitsForGate,
} from '../../lib/web/page-actions';
import { fixtures } from '../helpers/fixtures';
import { memoryGates, memoryStories } from '../helpers/memory-stores';
import { storyOf } from '../helpers/stories';

const SECRET = 'test-link-secret-0123456789abcdef0123';
const NOW = Date.UTC(2026, 11, 2, 12);
const canary = { namespace: 'web', name: 'frontend' };
const LISTED: PageApprovers = {
  mode: 'listed',
  emails: ['ana@example.com'],
  header: 'x-forwarded-email',
  minApprovals: 1,
};
const ANYONE: PageApprovers = { mode: 'anyone', emails: [], header: 'x-forwarded-email', minApprovals: 1 };

/** The page's title and its one line, unescaped. */
const said = (body: string) => {
  const un = (s = '') =>
    s
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
  return `${un(/<h1>([^<]*)<\/h1>/.exec(body)?.[1])} — ${un(/<div class="card">([^<]*)<\/div>/.exec(body)?.[1])}`;
};

async function setup(approvers = ANYONE, events = 3) {
  const stories = memoryStories();
  const gates = memoryGates();
  for (const e of fixtures.filter((x) => x.name === 'frontend').slice(0, events))
    await storyOf(stories, e, eventIdentity(e));
  const rollout = (await stories.get(canary))?.value.rollout.startedAt as number;
  const path = rolloutPath(canary, rollout);
  const query = Object.fromEntries(
    new URL(signedLink(SECRET, 'https://api.example', path, NOW)).searchParams,
  );
  const seen = new Set<string>();
  const deps = {
    stories,
    gates,
    secret: SECRET as string | undefined,
    approvers,
    firstSeen: async (n: string) => !seen.has(n) && Boolean(seen.add(n)),
    now: () => NOW,
  };
  const params = { namespace: 'web', name: 'frontend', rollout: String(rollout) };
  const nonce = formNonce(SECRET, path, NOW);
  const post = (
    form: Record<string, string>,
    o: { headers?: Record<string, string>; params?: object; query?: object } = {},
  ) =>
    handlePageAction(
      {
        params: { ...params, ...o.params },
        query: { ...query, ...o.query } as Record<string, string>,
        headers: o.headers ?? {},
        body: new URLSearchParams({ nonce, ...form }).toString(),
      },
      deps,
    );
  const audit = async () => (await gates.get(canary))?.value.audit ?? [];
  const check = async () =>
    (await handleGate('gate', 'check', canary, { by: 'f', how: 'api' }, { stories, gates })).statusCode;
  return { post, audit, check, deps, nonce, rollout };
}

describe('the page’s form refused, exactly', () => {
  type S = Awaited<ReturnType<typeof setup>>;
  it.each<[string, (s: S) => ReturnType<S['post']>, number, string]>([
    [
      'an address that is not a rollout page',
      (s) => s.post({ action: 'approve' }, { params: { rollout: 'x' } }),
      404,
      'Not a rollout page — The address is not /rollouts/<namespace>/<name>/<rollout>.',
    ],
    [
      'a stack without a link secret',
      (s) => {
        s.deps.secret = undefined;
        return s.post({ action: 'approve' });
      },
      404,
      'Rollout pages are off — This stack has no LINK_SECRET.',
    ],
    ['no action', (s) => s.post({}), 400, 'Bad form — action: must be approve, reject or rollback.'],
    [
      'a reject without a reason',
      (s) => s.post({ action: 'reject', reason: ' \t ' }),
      400,
      'Bad form — reason: say why you reject this revision.',
    ],
    [
      'a reason of 301 characters',
      (s) => s.post({ action: 'reject', reason: 'r'.repeat(301) }),
      400,
      'Bad form — reason: at most 300 characters.',
    ],
    [
      'an hour-old form',
      (s) =>
        s.post({
          action: 'approve',
          nonce: formNonce(SECRET, rolloutPath(canary, s.rollout), NOW - 3_600_001),
        }),
      403,
      'Form expired — This form is over an hour old: reload the page and try again.',
    ],
    [
      'a forged nonce',
      (s) => s.post({ action: 'approve', nonce: 'x' }),
      403,
      'Bad form — nonce: tampered; send the form from the rollout page.',
    ],
  ])('%s: %i', async (_, act, status, text) => {
    const s = await setup();
    const res = await act(s);
    expect(res.statusCode).toBe(status);
    expect(said(res.body)).toBe(text);
    expect(await s.audit()).toEqual([]);
  });

  it('with approvals off, says how to turn them on', async () => {
    const s = await setup({ ...ANYONE, mode: 'off' });
    expect(said((await s.post({ action: 'approve' })).body)).toBe(
      'Not from this page — Approving from the rollout page is off. To turn it on, deploy with PAGE_APPROVERS set to the emails your SSO proxy names (or to anyone-with-link).',
    );
  });

  it('names the approver refused, or the header missing', async () => {
    const s = await setup(LISTED);
    expect(
      said(
        (await s.post({ action: 'approve' }, { headers: { 'x-forwarded-email': 'eve@example.com' } })).body,
      ),
    ).toBe('Not an approver — eve@example.com is not an approver.');
    expect(said((await s.post({ action: 'approve' })).body)).toBe(
      'Not an approver — No identity in x-forwarded-email: sign in through your SSO proxy.',
    );
    const bare = await handlePageAction(
      { params: { namespace: 'web', name: 'frontend', rollout: String(s.rollout) }, query: {}, body: '' },
      s.deps,
    );
    expect(bare.statusCode).toBe(403);
    expect(await s.audit()).toEqual([]);
  });

  it('a form without a body, a reject without its reason field, and no headers at all are refused', async () => {
    const s = await setup(LISTED);
    const bare = (o: { body?: string; headers?: Record<string, string> }) =>
      handlePageAction(
        {
          params: { namespace: 'web', name: 'frontend', rollout: String(s.rollout) },
          query: Object.fromEntries(
            new URL(signedLink(SECRET, 'https://a', rolloutPath(canary, s.rollout), NOW)).searchParams,
          ),
          ...o,
        },
        s.deps,
      );
    expect(said((await bare({})).body)).toBe('Bad form — action: must be approve, reject or rollback.');
    expect(said((await bare({ body: `action=approve&nonce=${s.nonce}` })).body)).toBe(
      'Not an approver — No identity in x-forwarded-email: sign in through your SSO proxy.',
    );
    expect(
      said(
        (
          await bare({
            body: `action=reject&nonce=${s.nonce}`,
            headers: { 'x-forwarded-email': 'ana@example.com' },
          })
        ).body,
      ),
    ).toBe('Bad form — reason: say why you reject this revision.');
    expect(await s.audit()).toEqual([]);
  });

  it('a page of a canary with no rollout known has nothing to approve', async () => {
    const s = await setup();
    const other = rolloutPath({ ...canary, name: 'other' }, s.rollout);
    const res = await handlePageAction(
      {
        params: { namespace: 'web', name: 'other', rollout: String(s.rollout) },
        query: Object.fromEntries(new URL(signedLink(SECRET, 'https://a', other, NOW)).searchParams),
        body: `action=approve&nonce=${formNonce(SECRET, other, NOW)}`,
      },
      s.deps,
    );
    expect(said(res.body)).toBe(
      'Nothing to approve — This rollout has ended, moved on, or another one is running: nothing changed.',
    );
  });

  it('a used form, and a rollout that moved on, say so', async () => {
    const s = await setup();
    expect((await s.post({ action: 'approve' })).statusCode).toBe(303);
    expect(said((await s.post({ action: 'approve' })).body)).toBe(
      'Already sent — This form was already sent: reload the page to see what it did.',
    );
    const t = await setup();
    const gone = await t.post(
      { action: 'approve' },
      {
        params: { name: 'other' },
        query: Object.fromEntries(
          new URL(signedLink(SECRET, 'https://a', rolloutPath({ ...canary, name: 'other' }, t.rollout), NOW))
            .searchParams,
        ),
      },
    );
    // Another canary's page whose form is for this page: the nonce says so first.
    expect(gone.statusCode).toBe(403);
    const ended = await setup(ANYONE, 7);
    const res = await ended.post({ action: 'approve' });
    expect(said(res.body)).toBe(
      'Nothing to approve — This rollout has ended, moved on, or another one is running: nothing changed.',
    );
    expect(await ended.audit()).toEqual([]);
  });

  it('a rejected gate refuses Approve with the reason, titled Nothing changed', async () => {
    const s = await setup(LISTED);
    await handleGate('gate', 'reject', canary, { by: 'bo', how: 'cli', reason: 'slo burn' }, s.deps);
    const res = await s.post({ action: 'approve' }, { headers: { 'x-forwarded-email': 'ana@example.com' } });
    expect(res.statusCode).toBe(409);
    expect(said(res.body)).toBe(
      'Nothing changed — Gate rejected by bo: slo burn. Only the gate API (flagger-notify gate open) opens it again for this revision',
    );
  });
});

describe('an accepted form, in its details', () => {
  it('sends the browser back to the page, saying what it did', async () => {
    const s = await setup();
    const res = await s.post({ action: 'rollback' });
    expect(res.statusCode).toBe(303);
    expect(said(res.body)).toBe('Rollback opened — Back to the rollout page…');
  });

  it('records the approver (an SSO name cut to 128) and counts them by it for a quorum', async () => {
    const long = `${'a'.repeat(140)}@example.com`;
    const s = await setup({ ...LISTED, emails: [long, 'bo@example.com'], minApprovals: 2 });
    expect((await s.post({ action: 'approve' }, { headers: { 'x-forwarded-email': long } })).statusCode).toBe(
      303,
    );
    const [a] = await s.audit();
    expect(a?.by).toBe(long.slice(0, 128));
    expect(a?.vote).toEqual({ n: 1, of: 2 });
    expect(await s.check()).toBe(403);
  });

  it('anyone with the link is one person: no identity, so no quorum can be faked by resending', async () => {
    const s = await setup({ ...ANYONE, minApprovals: 2 });
    await s.post({ action: 'approve' });
    // With a quorum asked of "anyone", each form would be a new vote if it carried an identity.
    const [a] = await s.audit();
    expect(a?.by).toBe('someone with the link');
  });

  it('passes the reason only with Reject, one line', async () => {
    const s = await setup();
    await s.post({ action: 'approve', reason: 'ignored' });
    expect((await s.audit())[0]?.rejected).toBeUndefined();
    const t = await setup();
    await t.post({ action: 'reject', reason: ' too\n\nrisky ' });
    expect((await t.audit())[0]?.rejected).toBe('too risky');
  });
});

describe('PAGE_APPROVERS, read exactly', () => {
  it('lower-cases and trims each email, and refuses a half address', () => {
    expect(pageApprovers({ PAGE_APPROVERS: ' Ana@Example.com ,bo@example.com' }).emails).toEqual([
      'ana@example.com',
      'bo@example.com',
    ]);
    for (const bad of ['ana@', '@example.com', 'x ana@example.com', 'ana@example.com x'])
      expect(() => pageApprovers({ PAGE_APPROVERS: bad }), bad).toThrow(
        /^invalid rollout page approvals configuration: PAGE_APPROVERS\.0: must be off, anyone-with-link, or a comma-separated list of emails$/,
      );
  });

  it('a quorum as large as the list is allowed', () => {
    expect(pageApprovers({ PAGE_APPROVERS: 'a@x.io,b@x.io', PAGE_MIN_APPROVALS: '2' }).minApprovals).toBe(2);
  });
});

describe('when the page offers a decision', () => {
  it('only while the rollout runs, waits, and a gate is not passed', async () => {
    const s = await setup(ANYONE, 3);
    const story = (await s.deps.stories.get(canary))?.value;
    if (!story) throw new Error('no story');
    expect(waitsForGate(story)).toBe(true);
    expect(waitsForGate({ ...story, rollout: { ...story.rollout, status: 'progressing' } })).toBe(false);
    expect(
      waitsForGate({
        ...story,
        rollout: { ...story.rollout, gates: story.rollout.gates.map((g) => ({ ...g, passed: true })) },
      }),
    ).toBe(false);
    expect(waitsForGate({ ...story, rollout: { ...story.rollout, status: 'promoted' } })).toBe(false);
  });
});
