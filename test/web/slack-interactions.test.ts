// Approve and Roll back from Slack: every refused request changes nothing; a good click opens the
// gate for the rollout it was drawn for, once, recorded as done by that Slack user.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eventIdentity } from '../../lib/event/identity';
import { storyOf } from '../../lib/rollouts/story-log';
import { handleGate } from '../../lib/web/gates';
import { handleSlackInteraction, verifySlack } from '../../lib/web/slack-interactions';
import { fixtures } from '../helpers/fixtures';
import { memoryGates, memoryStories } from '../helpers/memory-stores';

const SECRET = 'slack-signing-secret-0123456789ab';
const NOW = Date.UTC(2026, 11, 2, 12);

/** A request as Slack signs it: `v0=` HMAC-SHA256 over `v0:<timestamp>:<raw body>`. */
function signed(payload: unknown, { at = NOW, secret = SECRET } = {}) {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const ts = String(Math.floor(at / 1000));
  const sig = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return { headers: { 'x-slack-request-timestamp': ts, 'x-slack-signature': sig }, body };
}

async function setup(approvers: string[] = []) {
  const stories = memoryStories();
  const gates = memoryGates();
  for (const e of fixtures.filter((x) => x.name === 'frontend').slice(0, 3))
    await storyOf(stories, e, eventIdentity(e));
  const rollout = (await stories.get('web', 'frontend'))?.value.rollout.startedAt as number;
  const seen = new Set<string>();
  const deps = {
    secret: SECRET,
    approvers,
    firstSeen: async (s: string) => !seen.has(s) && Boolean(seen.add(s)),
    stories,
    gates,
    now: () => NOW,
  };
  const click = (action = 'gate-open', user = 'U0ANA', r = rollout) => ({
    type: 'block_actions',
    user: { id: user, username: 'ana' },
    actions: [
      { action_id: action, value: JSON.stringify({ namespace: 'web', name: 'frontend', rollout: r }) },
    ],
  });
  const check = async (kind: 'gate' | 'rollback' = 'gate') =>
    (await handleGate(kind, 'check', { namespace: 'web', name: 'frontend' }, { by: 'x', how: 'api' }, deps))
      .statusCode;
  return { deps, click, check, rollout };
}

describe('Slack interactions (POST /slack/interactions)', () => {
  it('opens the gate on a signed Approve click, once, recorded as done by that user from Slack', async () => {
    const { deps, click, check } = await setup();
    expect(await check()).toBe(403);
    const r = signed(click());
    expect(await handleSlackInteraction(r.headers, r.body, deps)).toEqual({
      statusCode: 200,
      body: 'Gate opened',
    });
    expect(await check()).toBe(200);
    const audit = (await deps.gates.get('web', 'frontend'))?.value.audit;
    expect(audit).toEqual([
      expect.objectContaining({ kind: 'gate', open: true, by: 'ana (U0ANA)', how: 'slack' }),
    ]);
  });

  it('signals the rollback webhook on Roll back', async () => {
    const { deps, click, check } = await setup();
    const r = signed(click('rollback-open'));
    expect((await handleSlackInteraction(r.headers, r.body, deps)).statusCode).toBe(200);
    expect(await check('rollback')).toBe(200);
    expect(await check('gate')).toBe(403);
  });

  it.each([
    ['no signature', (r: ReturnType<typeof signed>) => ({ ...r, headers: {} }), 401],
    ['a bad signature', (r: ReturnType<typeof signed>) => ({ ...r, body: `${r.body}x` }), 401],
    ['another secret', () => signed({}, { secret: 'another-secret-0123456789abcdef' }), 401],
    ['a stale timestamp (6 minutes)', () => signed({}, { at: NOW - 6 * 60_000 }), 401],
  ])('refuses %s (%i) and changes nothing', async (_, make, status) => {
    const { deps, click, check } = await setup();
    const r = make(signed(click()));
    expect((await handleSlackInteraction(r.headers, r.body, deps)).statusCode).toBe(status);
    expect(await check()).toBe(403);
  });

  it('refuses a replayed request (409)', async () => {
    const { deps, click } = await setup();
    const r = signed(click());
    expect((await handleSlackInteraction(r.headers, r.body, deps)).statusCode).toBe(200);
    expect(await handleSlackInteraction(r.headers, r.body, deps)).toEqual({
      statusCode: 409,
      body: 'request refused: already handled (a replay)',
    });
  });

  it('refuses a click by someone not in the approvers (403) and takes one who is', async () => {
    const { deps, click, check } = await setup(['U0BOSS']);
    const r = signed(click('gate-open', 'U0ANA'));
    expect(await handleSlackInteraction(r.headers, r.body, deps)).toEqual({
      statusCode: 403,
      body: 'U0ANA is not an approver',
    });
    expect(await check()).toBe(403);
    const ok = signed(click('gate-open', 'U0BOSS'), { at: NOW + 1000 });
    expect((await handleSlackInteraction(ok.headers, ok.body, deps)).statusCode).toBe(200);
  });

  it('refuses a click for a rollout that is no longer running (409)', async () => {
    const { deps, click, check, rollout } = await setup();
    const r = signed(click('gate-open', 'U0ANA', rollout - 1));
    expect((await handleSlackInteraction(r.headers, r.body, deps)).statusCode).toBe(409);
    expect(await check()).toBe(403);
  });

  it('refuses an unknown action (400)', async () => {
    const { deps, click } = await setup();
    const r = signed({ ...click(), actions: [{ action_id: 'delete-everything', value: '{}' }] });
    expect((await handleSlackInteraction(r.headers, r.body, deps)).statusCode).toBe(400);
  });

  it('checks the signature in constant time over the exact bytes', () => {
    const r = signed({ a: 1 });
    expect(
      verifySlack(
        SECRET,
        r.headers['x-slack-request-timestamp'],
        r.headers['x-slack-signature'],
        r.body,
        NOW,
      ),
    ).toBe('ok');
    expect(
      verifySlack(
        SECRET,
        r.headers['x-slack-request-timestamp'],
        r.headers['x-slack-signature'],
        `${r.body} `,
        NOW,
      ),
    ).toBe('bad-signature');
  });
});
