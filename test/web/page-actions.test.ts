// Approve and Roll back from the rollout page: the form posts the signed link and a one-time nonce;
// a GET never changes anything, and every refused POST changes nothing.
import { describe, expect, it } from 'vitest';
import { eventIdentity } from '../../lib/event/identity';
import { rolloutPath, signedLink } from '../../lib/rollouts/links';
import type { Story } from '../../lib/rollouts/story';
import { handleGate } from '../../lib/web/gates';
import { formNonce } from '../../lib/web/nonce';
import { type PageApprovers, pageApprovers, pageTarget, waitsForGate } from '../../lib/web/page-actions';
import { handleWeb } from '../../lib/web/web';
import { fixtures } from '../helpers/fixtures';
import { memoryGates, memoryStories } from '../helpers/memory-stores';
import { storyOf } from '../helpers/stories';

const SECRET = 'test-link-secret-0123456789abcdef0123';
const NOW = Date.UTC(2026, 11, 2, 12);
const ANYONE: PageApprovers = { mode: 'anyone', emails: [], header: 'x-forwarded-email', minApprovals: 1 };

async function setup(approvers = ANYONE, events = 3) {
  const stories = memoryStories();
  const gates = memoryGates();
  // frontend: initialised, then "Halt frontend.web advancement waiting for approval gate-keeper".
  for (const e of fixtures.filter((x) => x.name === 'frontend').slice(0, events))
    await storyOf(stories, e, eventIdentity(e));
  const rollout = (await stories.get({ namespace: 'web', name: 'frontend' }))?.value.rollout
    .startedAt as number;
  const path = rolloutPath({ namespace: 'web', name: 'frontend' }, rollout);
  const url = new URL(signedLink(SECRET, 'https://api.example', path, NOW));
  const seen = new Set<string>();
  const deps = {
    stories,
    gates,
    secret: SECRET,
    now: () => NOW,
    actions: { approvers, firstSeen: async (n: string) => !seen.has(n) && Boolean(seen.add(n)) },
  };
  const params = { namespace: 'web', name: 'frontend', rollout: String(rollout) };
  const query = Object.fromEntries(url.searchParams) as Record<string, string>;
  const get = () => handleWeb({ method: 'GET', params, query }, deps);
  const post = (form: Record<string, string>, headers: Record<string, string> = {}, q = query) =>
    handleWeb(
      { method: 'POST', params, query: q, headers, body: new URLSearchParams(form).toString() },
      deps,
    );
  const nonceOf = (html: string) => /name="nonce" value="([^"]+)"/.exec(html)?.[1] as string;
  const check = async (kind: 'gate' | 'rollback' = 'gate') =>
    (await handleGate(kind, 'check', { namespace: 'web', name: 'frontend' }, { by: 'x', how: 'api' }, deps))
      .statusCode;
  return { deps, get, post, nonceOf, check, path, query, gates };
}

describe('the rollout page’s Approve / Roll back form (POST to its signed link)', () => {
  it('draws the form while a gate waits; Approve opens the gate and sends the browser back to the page', async () => {
    const { get, post, nonceOf, check, path, query } = await setup();
    const page = await get();
    expect(page.body).toContain('<form class="gate" method="post"');
    expect(page.headers['content-security-policy']).toContain("form-action 'self'");
    expect(await check()).toBe(403);
    const res = await post({ action: 'approve', nonce: nonceOf(page.body) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${path}?exp=${query.exp}&sig=${query.sig}&k=${query.k}`);
    expect(await check()).toBe(200);
    expect((await get()).body).toContain('Approved by someone with the link (link)');
  });

  it('never changes state on GET: drawing the page ten times opens nothing and uses no nonce', async () => {
    const { get, post, nonceOf, check, gates } = await setup();
    const pages = await Promise.all(Array.from({ length: 10 }, get));
    expect(await check()).toBe(403);
    expect(await gates.get({ namespace: 'web', name: 'frontend' })).toBeUndefined();
    // Each draw has its own nonce, and each still works once.
    expect(new Set(pages.map((p) => nonceOf(p.body))).size).toBe(10);
    expect((await post({ action: 'rollback', nonce: nonceOf(pages[9]?.body ?? '') })).statusCode).toBe(303);
    expect(await check('rollback')).toBe(200);
  });

  it('refuses a reused nonce (409), even for the other button, and two sends at once are one', async () => {
    const { get, post, nonceOf, check } = await setup();
    const nonce = nonceOf((await get()).body);
    const [a, b] = await Promise.all([
      post({ action: 'approve', nonce }),
      post({ action: 'approve', nonce }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([303, 409]);
    const again = await post({ action: 'rollback', nonce });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('This form was already sent');
    expect(await check('rollback')).toBe(403);
  });

  it.each([
    [
      'a tampered link',
      (q: Record<string, string>) => ({ ...q, sig: `${q.sig?.slice(0, -2)}xx` }),
      403,
      'Link tampered',
    ],
    ['no link signature', () => ({}), 403, 'Link missing'],
  ])('refuses %s (%i) and changes nothing', async (_, q, status, title) => {
    const { get, post, nonceOf, check, query } = await setup();
    const res = await post({ action: 'approve', nonce: nonceOf((await get()).body) }, {}, q(query));
    expect(res.statusCode).toBe(status);
    expect(res.body).toContain(title);
    expect(await check()).toBe(403);
  });

  it('refuses a bad action (400), a forged, another page’s or an hour-old nonce (403)', async () => {
    const { get, post, nonceOf, check, path, deps } = await setup();
    const nonce = nonceOf((await get()).body);
    expect((await post({ action: 'delete', nonce })).statusCode).toBe(400);
    // Keys of every object are not actions: no gate opened, no "Approved by" line in the audit.
    for (const action of ['__proto__', 'constructor', 'toString'])
      expect((await post({ action, nonce })).statusCode, action).toBe(400);
    expect((await post({ action: 'approve' })).statusCode).toBe(403);
    // Its last character changed (to another one: a random nonce may end in A already).
    const forged = `${nonce.slice(0, -1)}${nonce.endsWith('A') ? 'B' : 'A'}`;
    expect((await post({ action: 'approve', nonce: forged })).statusCode).toBe(403);
    const other = formNonce(SECRET, `${path}1`, NOW);
    expect((await post({ action: 'approve', nonce: other })).body).toContain('nonce: tampered');
    const old = formNonce(SECRET, path, NOW - 3601_000);
    expect((await post({ action: 'approve', nonce: old })).body).toContain('Form expired');
    expect(await check()).toBe(403);
    expect((await deps.gates.get({ namespace: 'web', name: 'frontend' }))?.value.audit ?? []).toEqual([]);
    // None of those used up the good nonce.
    expect((await post({ action: 'approve', nonce })).statusCode).toBe(303);
  });

  it('with listed approvers, takes only an email the SSO proxy’s header names', async () => {
    const listed: PageApprovers = {
      mode: 'listed',
      emails: ['ana@example.com'],
      header: 'x-forwarded-email',
      minApprovals: 1,
    };
    const { get, post, nonceOf, check, deps } = await setup(listed);
    const nonce = nonceOf((await get()).body);
    const none = await post({ action: 'approve', nonce });
    expect([none.statusCode, none.body.includes('No identity in x-forwarded-email')]).toEqual([403, true]);
    const bob = await post({ action: 'approve', nonce }, { 'x-forwarded-email': 'bob@example.com' });
    expect([bob.statusCode, bob.body.includes('bob@example.com is not an approver')]).toEqual([403, true]);
    expect(await check()).toBe(403);
    const ana = await post({ action: 'approve', nonce }, { 'x-forwarded-email': 'Ana@Example.com' });
    expect(ana.statusCode).toBe(303);
    const audit = (await deps.gates.get({ namespace: 'web', name: 'frontend' }))?.value.audit;
    expect(audit).toEqual([expect.objectContaining({ by: 'ana@example.com', how: 'link', open: true })]);
  });

  it.each([
    ['unset', {}],
    ['off', { PAGE_APPROVERS: 'off' }],
  ])(
    'with PAGE_APPROVERS %s (closed by default), draws no form and refuses a POST, saying how to turn it on',
    async (_, env) => {
      const { get, post, check, path } = await setup(pageApprovers(env));
      expect((await get()).body).not.toContain('<form');
      const res = await post({ action: 'approve', nonce: formNonce(SECRET, path, NOW) });
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('PAGE_APPROVERS');
      expect(await check()).toBe(403);
    },
  );

  it('draws no form once the rollout has moved on, and refuses a form sent after that (409)', async () => {
    const waiting = await setup();
    const nonce = waiting.nonceOf((await waiting.get()).body);
    // The same canary, its events up to the outcome: the gate no longer waits.
    for (const e of fixtures.filter((x) => x.name === 'frontend'))
      await storyOf(waiting.deps.stories, e, eventIdentity(e));
    const story = (await waiting.deps.stories.get({ namespace: 'web', name: 'frontend' }))?.value;
    expect(story?.rollout.status).not.toBe('waiting');
    const res = await waiting.post({ action: 'approve', nonce });
    expect(res.statusCode).toBe(409);
    expect(await waiting.check()).toBe(403);
  });

  it('reads PAGE_APPROVERS and PAGE_APPROVER_HEADER, refusing what they cannot be', () => {
    expect(pageApprovers({}).mode).toBe('off');
    expect(pageApprovers({ PAGE_APPROVERS: '' }).mode).toBe('off');
    expect(pageApprovers({ PAGE_APPROVERS: 'off' }).mode).toBe('off');
    expect(pageApprovers({ PAGE_APPROVERS: 'anyone-with-link' })).toEqual(ANYONE);
    expect(() => pageApprovers({ PAGE_APPROVERS: 'anyone' })).toThrow(/PAGE_APPROVERS/);
    expect(
      pageApprovers({
        PAGE_APPROVERS: 'Ana@example.com, bob@example.com',
        PAGE_APPROVER_HEADER: 'X-Auth-Request-Email',
      }),
    ).toEqual({
      mode: 'listed',
      emails: ['ana@example.com', 'bob@example.com'],
      header: 'x-auth-request-email',
      minApprovals: 1,
    });
    expect(() => pageApprovers({ PAGE_APPROVERS: 'ana' })).toThrow(/PAGE_APPROVERS/);
    expect(() => pageApprovers({ PAGE_APPROVER_HEADER: 'x email' })).toThrow(
      /PAGE_APPROVER_HEADER: must be an HTTP header name/,
    );
  });

  it('reads PAGE_MIN_APPROVALS: a quorum of listed people, never of anyone with the link', () => {
    const two = { PAGE_APPROVERS: 'ana@example.com,bo@example.com', PAGE_MIN_APPROVALS: '2' };
    expect(pageApprovers(two).minApprovals).toBe(2);
    expect(pageApprovers({ ...two, PAGE_MIN_APPROVALS: '' }).minApprovals).toBe(1);
    expect(() => pageApprovers({ ...two, PAGE_MIN_APPROVALS: '3' })).toThrow(
      /PAGE_MIN_APPROVALS: 3 is more than the 2 approvers listed/,
    );
    expect(() => pageApprovers({ PAGE_APPROVERS: 'anyone-with-link', PAGE_MIN_APPROVALS: '2' })).toThrow(
      /PAGE_MIN_APPROVALS: needs PAGE_APPROVERS to list emails/,
    );
    expect(() => pageApprovers({ ...two, PAGE_MIN_APPROVALS: '0' })).toThrow(
      /PAGE_MIN_APPROVALS: must be a whole number from 1 to 10/,
    );
  });
});

describe('the rollout page’s richer decisions: reject with a reason, a quorum, a lapsing approval', () => {
  const listed = (minApprovals: number): PageApprovers => ({
    mode: 'listed',
    emails: ['ana@example.com', 'bo@example.com'],
    header: 'x-forwarded-email',
    minApprovals,
  });
  const as = (email: string) => ({ 'x-forwarded-email': email });

  it('rejects with a reason (its own form), shown in the audit; Approve is then refused with that reason', async () => {
    const { get, post, nonceOf, check } = await setup(listed(1));
    const page = (await get()).body;
    // Two forms: Enter in the reason field can only press Reject.
    expect(page.match(/<form class="gate"/g)).toHaveLength(2);
    expect(page).toMatch(
      /<input name="reason" required maxlength="300"[^>]*>\s*<button name="action" value="reject">/,
    );
    const res = await post(
      { action: 'reject', reason: ' p99  <b>up</b> ', nonce: nonceOf(page) },
      as('bo@example.com'),
    );
    expect(res.statusCode).toBe(303);
    const after = (await get()).body;
    expect(after).toContain('Rejected by bo@example.com (link)');
    expect(after).toContain('Reason: p99 &lt;b&gt;up&lt;/b&gt;');
    expect(await check()).toBe(403);
    const approve = await post({ action: 'approve', nonce: nonceOf(after) }, as('ana@example.com'));
    expect(approve.statusCode).toBe(409);
    expect(approve.body).toContain('Gate rejected by bo@example.com: p99 &lt;b&gt;up&lt;/b&gt;');
    expect(await check()).toBe(403);
  });

  it('refuses a rejection without a reason or with one over 300 characters, changing nothing', async () => {
    const { get, post, nonceOf, gates } = await setup(listed(1));
    const nonce = nonceOf((await get()).body);
    const none = await post({ action: 'reject', reason: '  ', nonce }, as('bo@example.com'));
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain('reason: say why you reject this revision.');
    const long = await post({ action: 'reject', reason: 'x'.repeat(301), nonce }, as('bo@example.com'));
    expect(long.statusCode).toBe(400);
    expect(long.body).toContain('reason: at most 300 characters.');
    expect(await gates.get({ namespace: 'web', name: 'frontend' })).toBeUndefined();
    // 300 is allowed, and the nonce was not used up by the refusals.
    const ok = await post({ action: 'reject', reason: 'x'.repeat(300), nonce }, as('bo@example.com'));
    expect(ok.statusCode).toBe(303);
  });

  it('with PAGE_MIN_APPROVALS=2 opens at the second listed person, not at the same one twice', async () => {
    const { get, post, nonceOf, check } = await setup(listed(2));
    expect(
      (await post({ action: 'approve', nonce: nonceOf((await get()).body) }, as('ana@example.com')))
        .statusCode,
    ).toBe(303);
    expect(await check()).toBe(403);
    expect((await get()).body).toContain('Approval 1 of 2 by ana@example.com (link)');
    const twice = await post(
      { action: 'approve', nonce: nonceOf((await get()).body) },
      as('ANA@example.com'),
    );
    expect(twice.statusCode).toBe(303);
    expect(await check()).toBe(403);
    await post({ action: 'approve', nonce: nonceOf((await get()).body) }, as('bo@example.com'));
    expect(await check()).toBe(200);
    expect((await get()).body).toContain('Approved by bo@example.com (link)');
  });

  it('says when an approval lapses (APPROVAL_TTL)', async () => {
    const { get, post, nonceOf, deps } = await setup(ANYONE);
    Object.assign(deps.actions, { ttlMs: 3_600_000 });
    await post({ action: 'approve', nonce: nonceOf((await get()).body) });
    expect((await get()).body).toContain('lapses at 2026-12-02 13:00:00 UTC');
  });
});

describe('a rollout page’s address and the moment it offers a decision', () => {
  it('takes /rollouts/<namespace>/<name>/<start> (under a cluster in a fleet) and nothing looser', () => {
    expect(pageTarget({ namespace: 'web', name: 'frontend', rollout: '1700000000000' })).toEqual({
      canary: { namespace: 'web', name: 'frontend' },
      startedAt: 1700000000000,
      path: '/rollouts/web/frontend/1700000000000',
    });
    expect(
      pageTarget({ cluster: 'prod-eu', namespace: 'web', name: 'frontend', rollout: '1' })?.canary,
    ).toEqual({
      cluster: 'prod-eu',
      namespace: 'web',
      name: 'frontend',
    });
    for (const bad of [
      { namespace: 'web', name: 'frontend', rollout: 'x1' },
      { namespace: 'web', name: 'frontend', rollout: '1x' },
      { namespace: 'web', name: 'frontend' },
      { namespace: 'Web', name: 'frontend', rollout: '1' },
      { namespace: 'web', name: 'front end', rollout: '1' },
      { cluster: 'Prod EU', namespace: 'web', name: 'frontend', rollout: '1' },
    ])
      expect(pageTarget(bad), JSON.stringify(bad)).toBeUndefined();
  });

  it('offers a decision only while the rollout waits at a gate not yet passed', async () => {
    const stories = memoryStories();
    const frontend = fixtures.filter((x) => x.name === 'frontend');
    const at = async (n: number) => {
      for (const e of frontend.slice(0, n)) await storyOf(stories, e, eventIdentity(e));
      return (await stories.get({ namespace: 'web', name: 'frontend' }))?.value as Story;
    };
    // Initialising: running, no gate yet.
    expect(waitsForGate(await at(2))).toBe(false);
    // "waiting for approval gate-keeper": a gate not passed.
    expect(waitsForGate(await at(3))).toBe(true);
    // Its gate passed, the analysis advances: nothing to decide.
    expect(waitsForGate(await at(5))).toBe(false);
    // "waiting for promotion approval": one gate passed, the next not yet.
    expect(waitsForGate(await at(6))).toBe(true);
    // Promoted: ended.
    expect(waitsForGate(await at(frontend.length))).toBe(false);
  });
});
