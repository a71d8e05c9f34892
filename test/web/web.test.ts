// The rollout page function: a valid link shows its rollout, anything else a 4xx page that says
// why, never a 500 and never another rollout's data.
import { describe, expect, it } from 'vitest';
import type { FlaggerEvent } from '../../lib/event/event';
import { eventIdentity } from '../../lib/event/identity';
import { rolloutPath, signedLink } from '../../lib/rollouts/links';
import { applyEvent, applyResult, type Story, type StoryStore } from '../../lib/rollouts/story';
import { storyBatch } from '../../lib/rollouts/story-log';
import { handleWeb } from '../../lib/web/web';
import { fixtures } from '../helpers/fixtures';
import { memoryStories } from '../helpers/memory-stores';

const SECRET = 'test-link-secret-0123456789abcdef0123';

async function storyOfCheckout(stories: StoryStore, events: FlaggerEvent[]) {
  let story: Story | undefined;
  for (const e of events) story = applyEvent(story, e, eventIdentity(e)).story;
  const s = story as Story;
  const last = events.at(-1) as FlaggerEvent;
  const withResults = applyResult(
    applyResult(s, 'ops', 'slack', eventIdentity(last), {
      state: 'delivered',
      at: 1,
      status: 200,
      sent: 'a milestone',
    }),
    'teams-main',
    'teams',
    eventIdentity(last),
    {
      state: 'dead-lettered',
      at: 2,
      status: 404,
      detail: 'PermanentDeliveryError: teams webhook (x.logic.azure.com) answered 404',
    },
  );
  await stories.put(withResults, 0);
  return withResults;
}

const checkout = fixtures.filter((e) => e.name === 'checkout');
const request = (url: string, method = 'GET') => {
  const u = new URL(url);
  const [, , namespace, name, rollout] = u.pathname.split('/');
  return {
    method,
    params: { namespace, name, rollout },
    query: Object.fromEntries(u.searchParams) as Record<string, string>,
  };
};

describe('rollout page (GET /rollouts/{namespace}/{name}/{rollout})', () => {
  it('shows each provider’s results, kept apart from the story by its own workers', async () => {
    const stories = memoryStories();
    // One batch per provider's worker: Slack's copies tell the story (naming both providers);
    // Teams' only record results.
    const slackBatch = storyBatch(stories);
    const teamsBatch = storyBatch(stories);
    let story: Story | undefined;
    for (const e of checkout) {
      const id = eventIdentity(e);
      story = await slackBatch.story(e, id, true, ['slack', 'teams']);
      await teamsBatch.story(e, id, false);
      const at = story.rollout.startedAt;
      slackBatch.record(e, at, 'ops', 'slack', id, {
        state: 'delivered',
        at: 1,
        status: 200,
        sent: 'the event',
      });
      teamsBatch.record(e, at, 'teams-main', 'teams', id, {
        state: 'retrying',
        at: 2,
        detail: 'answered 502',
      });
    }
    const written = [...(await slackBatch.flush()), ...(await teamsBatch.flush())];
    expect(written.every((r) => r.status === 'fulfilled')).toBe(true);
    const at = (story as Story).rollout.startedAt;
    // The telling worker's results went with the story; Teams' into its own item.
    const doc = (await stories.get({ namespace: 'shop', name: 'checkout' }))?.value;
    expect(Object.keys(doc?.destinations ?? {})).toEqual(['ops']);
    const url = signedLink(
      SECRET,
      'https://api.example',
      rolloutPath({ namespace: 'shop', name: 'checkout' }, at),
    );
    const res = await handleWeb(request(url), { stories, secret: SECRET });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('ops');
    expect(res.body).toContain('teams-main');
    expect(res.body).toContain('answered 502');
  });

  it('shows every event, the checks and each destination’s result, a dead letter with its reason', async () => {
    const stories = memoryStories();
    const s = await storyOfCheckout(stories, checkout);
    const url = signedLink(
      SECRET,
      'https://api.example',
      rolloutPath({ namespace: 'shop', name: 'checkout' }, s.rollout.startedAt),
    );
    const res = await handleWeb(request(url), { stories, secret: SECRET });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toMatch(/^default-src 'none'; style-src 'sha256-/);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    for (const e of checkout)
      expect(res.body).toContain(e.metadata.eventMessage.replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    expect(res.body).toContain('dead-lettered');
    expect(res.body).toContain('answered 404');
    expect(res.body).toContain('teams-main');
    expect(res.body).toContain('status 200');
  });

  it('renders a hostile message inert', async () => {
    const stories = memoryStories();
    const hostile = checkout.map((e, i) =>
      i === 3
        ? {
            ...e,
            metadata: {
              ...e.metadata,
              eventMessage: 'Halt <script>alert(1)</script><img src=x onerror=alert(2)>',
            },
          }
        : e,
    );
    const s = await storyOfCheckout(stories, hostile);
    const url = signedLink(
      SECRET,
      'https://api.example',
      rolloutPath({ namespace: 'shop', name: 'checkout' }, s.rollout.startedAt),
    );
    const { body } = await handleWeb(request(url), { stories, secret: SECRET });
    expect(body).not.toMatch(/<script|<img/i);
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it.each([
    ['no signature', (u: string) => u.replace(/\?.*$/, ''), 403, 'Link missing'],
    // One character changed, whichever it was.
    [
      'a tampered signature',
      (u: string) => u.replace(/sig=(.)/, (_, c) => `sig=${c === 'Z' ? 'Y' : 'Z'}`),
      403,
      'Link tampered',
    ],
    [
      'a tampered expiry',
      (u: string) => u.replace(/exp=(\d+)/, (_, e) => `exp=${Number(e) + 60}`),
      403,
      'Link tampered',
    ],
    [
      'another rollout’s path',
      (u: string) => u.replace(/\/(\d+)\?/, (_, r) => `/${Number(r) + 1}?`),
      403,
      'Link tampered',
    ],
    ['another canary’s path', (u: string) => u.replace('/checkout/', '/payments/'), 403, 'Link tampered'],
    [
      'a link signed with another secret (npm start restarted, a rotation)',
      (u: string) => {
        const other = new URL(
          signedLink('the-secret-before-0123456789abcdef', 'https://api.example', new URL(u).pathname),
        );
        return `${u.split('?')[0]}${other.search}`;
      },
      403,
      'Link from another secret',
    ],
    [
      'a name that is not a Kubernetes name',
      (u: string) => u.replace('/checkout/', '/Check..out/'),
      404,
      'Not a rollout page',
    ],
    [
      'an overlong name',
      (u: string) => u.replace('/checkout/', `/${'a'.repeat(300)}/`),
      404,
      'Not a rollout page',
    ],
    [
      'a rollout that is not a number',
      (u: string) => u.replace(/\/(\d+)\?/, '/17abc?'),
      404,
      'Not a rollout page',
    ],
    [
      'a percent-encoded slash in a segment',
      (u: string) => u.replace('/checkout/', '/a%2Fb/'),
      404,
      'Not a rollout page',
    ],
  ])('refuses %s with a 4xx page that says why', async (_, mutate, status, title) => {
    const stories = memoryStories();
    const s = await storyOfCheckout(stories, checkout);
    const url = signedLink(
      SECRET,
      'https://api.example',
      rolloutPath({ namespace: 'shop', name: 'checkout' }, s.rollout.startedAt),
    );
    const res = await handleWeb(request(mutate(url)), { stories, secret: SECRET });
    expect(res.statusCode).toBe(status);
    expect(res.body).toContain(title);
    expect(res.body).not.toContain('Rolling back');
  });

  it('refuses an expired link (403), an unknown rollout (404), a POST (405), and pages without a secret (404)', async () => {
    const stories = memoryStories();
    const s = await storyOfCheckout(stories, checkout);
    const path = rolloutPath({ namespace: 'shop', name: 'checkout' }, s.rollout.startedAt);
    const old = signedLink(SECRET, 'https://api.example', path, Date.now() - 31 * 86400_000);
    expect((await handleWeb(request(old), { stories, secret: SECRET })).body).toContain('Link expired');
    const unknown = signedLink(
      SECRET,
      'https://api.example',
      rolloutPath({ namespace: 'shop', name: 'checkout' }, 42),
    );
    const u = await handleWeb(request(unknown), { stories, secret: SECRET });
    expect([u.statusCode, u.body.includes('Unknown rollout')]).toEqual([404, true]);
    const url = signedLink(SECRET, 'https://api.example', path);
    expect((await handleWeb(request(url, 'POST'), { stories, secret: SECRET })).statusCode).toBe(405);
    expect((await handleWeb(request(url), { stories })).statusCode).toBe(404);
  });

  it('keeps a rollout’s page when the canary rolls out again (archived), and shows each its own events', async () => {
    const stories = memoryStories();
    const { storyOf } = await import('../helpers/stories');
    let first: Story | undefined;
    for (const e of checkout) first = await storyOf(stories, e, eventIdentity(e));
    const again = checkout.map((e) => ({
      ...e,
      metadata: { ...e.metadata, timestamp: String(Number(e.metadata.timestamp) + 3_600_000) },
    }));
    let second: Story | undefined;
    for (const e of again) second = await storyOf(stories, e, eventIdentity(e));
    expect(second?.rollout.startedAt).not.toBe(first?.rollout.startedAt);
    for (const s of [first, second] as Story[]) {
      const url = signedLink(
        SECRET,
        'https://api.example',
        rolloutPath({ namespace: 'shop', name: 'checkout' }, s.rollout.startedAt),
      );
      const res = await handleWeb(request(url), { stories, secret: SECRET });
      expect(res.statusCode).toBe(200);
      expect(res.body.match(/<tr><td>/g)).toHaveLength(checkout.length);
    }
  });
});
