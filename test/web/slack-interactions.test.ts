// Approve and Roll back from Slack: every refused request changes nothing; a good click opens the
// gate for the rollout it was drawn for, once, recorded as done by that Slack user.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eventIdentity } from '../../lib/event/identity';
import { type SlackApi, slackApi } from '../../lib/providers/slack-app/api';
import { handleGate } from '../../lib/web/gates';
import { handleSlackInteraction, type SlackDestination, verifySlack } from '../../lib/web/slack-interactions';
import { fixtures } from '../helpers/fixtures';
import { memoryGates, memoryStories } from '../helpers/memory-stores';
import { startSlackApi } from '../helpers/slack-api';
import { storyOf } from '../helpers/stories';

const SECRET = 'slack-signing-secret-0123456789ab';
const NOW = Date.UTC(2026, 11, 2, 12);

/** A request as Slack signs it: `v0=` HMAC-SHA256 over `v0:<timestamp>:<raw body>`. */
function signed(payload: unknown, { at = NOW, secret = SECRET } = {}) {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const ts = String(Math.floor(at / 1000));
  const sig = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return { headers: { 'x-slack-request-timestamp': ts, 'x-slack-signature': sig }, body };
}

/** The same body, signed as if sent at `at`. */
function signedAt(r: { body: string }, at: number) {
  const ts = String(Math.floor(at / 1000));
  const sig = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${r.body}`).digest('hex')}`;
  return { headers: { 'x-slack-request-timestamp': ts, 'x-slack-signature': sig }, body: r.body };
}

async function setup(approvers: string[] = [], api?: SlackApi) {
  const stories = memoryStories();
  const gates = memoryGates();
  for (const e of fixtures.filter((x) => x.name === 'frontend').slice(0, 3))
    await storyOf(stories, e, eventIdentity(e));
  const rollout = (await stories.get({ namespace: 'web', name: 'frontend' }))?.value.rollout
    .startedAt as number;
  const seen = new Set<string>();
  const deps = {
    secret: SECRET,
    destinations: { 'slack-app': { approvers, ...(api ? { api } : {}) } } as Record<string, SlackDestination>,
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
    const audit = (await deps.gates.get({ namespace: 'web', name: 'frontend' }))?.value.audit;
    expect(audit).toEqual([
      expect.objectContaining({ kind: 'gate', open: true, by: 'ana (U0ANA)', how: 'slack' }),
    ]);
  });

  it('signals the rollback webhook on Roll back, and says so (not "Gate opened")', async () => {
    const { deps, click, check } = await setup();
    const r = signed(click('rollback-open'));
    expect(await handleSlackInteraction(r.headers, r.body, deps)).toEqual({
      statusCode: 200,
      body: 'Rollback opened',
    });
    expect(await check('rollback')).toBe(200);
    expect(await check('gate')).toBe(403);
  });

  it.each([
    ['no signature', (r: ReturnType<typeof signed>) => ({ ...r, headers: {} }), 401],
    ['a bad signature', (r: ReturnType<typeof signed>) => ({ ...r, body: `${r.body}x` }), 401],
    ['another secret', () => signed({}, { secret: 'another-secret-0123456789abcdef' }), 401],
    ['a stale timestamp (6 minutes)', () => signed({}, { at: NOW - 6 * 60_000 }), 401],
    [
      'a timestamp 6 minutes in the future',
      (r: ReturnType<typeof signed>) => signedAt(r, NOW + 6 * 60_000),
      401,
    ],
    ['a timestamp 301 s old', (r: ReturnType<typeof signed>) => signedAt(r, NOW - 301_000), 401],
    ['a timestamp 301 s ahead', (r: ReturnType<typeof signed>) => signedAt(r, NOW + 301_000), 401],
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

  it('takes a member of an approver user group (usergroups.users.list) and refuses everyone else', async () => {
    const slack = await startSlackApi();
    try {
      slack.api.groups.S0ONCALL = ['U0BOB'];
      const { deps, click, check } = await setup(
        ['U0BOSS', 'S0ONCALL'],
        slackApi(slack.url, 'xoxb-t', () => 1000),
      );
      const ana = signed(click('gate-open', 'U0ANA'));
      expect(await handleSlackInteraction(ana.headers, ana.body, deps)).toEqual({
        statusCode: 403,
        body: 'U0ANA is not an approver',
      });
      expect(await check()).toBe(403);
      const bob = signed(click('gate-open', 'U0BOB'), { at: NOW + 1000 });
      expect((await handleSlackInteraction(bob.headers, bob.body, deps)).statusCode).toBe(200);
      expect(await check()).toBe(200);
    } finally {
      await slack.close();
    }
  });

  it('refuses when an approver group cannot be read (closed when in doubt), naming Slack’s code', async () => {
    const slack = await startSlackApi();
    try {
      slack.api.failNext('usergroups.users.list', { error: 'missing_scope' });
      const { deps, click, check } = await setup(
        ['S0ONCALL'],
        slackApi(slack.url, 'xoxb-t', () => 1000),
      );
      const r = signed(click('gate-open', 'U0ANA'));
      expect(await handleSlackInteraction(r.headers, r.body, deps)).toEqual({
        statusCode: 403,
        body: 'U0ANA is not an approver (user group S0ONCALL: missing_scope)',
      });
      expect(await check()).toBe(403);
    } finally {
      await slack.close();
    }
  });

  it('refuses a button whose destination is no longer configured (409)', async () => {
    const { deps, click, check, rollout } = await setup();
    const c = click();
    const value = JSON.stringify({ namespace: 'web', name: 'frontend', rollout, d: 'removed' });
    const r = signed({ ...c, actions: [{ action_id: 'gate-open', value }] });
    expect((await handleSlackInteraction(r.headers, r.body, deps)).statusCode).toBe(409);
    expect(await check()).toBe(403);
  });

  it('shows who approved in place of the buttons and replies in the thread, once for two clicks', async () => {
    const slack = await startSlackApi();
    try {
      const { deps, click, rollout } = await setup(
        [],
        slackApi(slack.url, 'xoxb-t', () => 1000),
      );
      const value = JSON.stringify({ namespace: 'web', name: 'frontend', rollout, d: 'slack-app' });
      const actions = {
        type: 'actions',
        elements: [
          { type: 'button', action_id: 'gate-open', value },
          { type: 'button', action_id: 'rollback-open', value },
          {
            type: 'button',
            url: 'https://notify.example/rollouts/web/frontend/1',
            text: { type: 'plain_text', text: 'Rollout details' },
          },
        ],
      };
      const attachments = [
        { color: '#aaa', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'frontend' } }, actions] },
      ];
      const posted = slack.api.handle('chat.postMessage', {
        channel: slack.api.channel,
        text: 'frontend waits',
        attachments,
      });
      const ts = (posted.json as { ts: string }).ts;
      const payload = {
        ...click(),
        actions: [{ action_id: 'gate-open', value }],
        channel: { id: slack.api.channel },
        message: { ts, text: 'frontend waits', attachments },
      };
      const first = signed(payload);
      expect((await handleSlackInteraction(first.headers, first.body, deps)).body).toBe('Gate opened');
      const again = signed(payload, { at: NOW + 2000 });
      expect((await handleSlackInteraction(again.headers, again.body, deps)).body).toBe('Gate already open');
      const m = slack.api.messages[0];
      expect(m?.replies.map((r) => r.text)).toEqual([
        `✅ Approved by <@U0ANA> <!date^${NOW / 1000}^{date_short_pretty} {time}|2026-12-02T12:00:00.000Z>`,
      ]);
      const blocks = (
        (m?.attachments ?? [])[0] as {
          blocks: { type: string; elements: { action_id?: string; text?: unknown }[] }[];
        }
      ).blocks;
      // The gate buttons are gone, the page link stays, and the decision is the last line.
      expect(JSON.stringify(blocks)).not.toContain('gate-open');
      expect(blocks.find((b) => b.type === 'actions')?.elements).toHaveLength(1);
      expect(JSON.stringify(blocks.at(-1))).toContain('Approved by <@U0ANA>');
      expect(m?.updates).toBe(1);
    } finally {
      await slack.close();
    }
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

  it('takes a click signed exactly 300 s before or after now, the edge of Slack’s five minutes', async () => {
    for (const at of [NOW - 300_000, NOW + 300_000]) {
      const { deps, click } = await setup();
      const r = signedAt(signed(click()), at);
      expect((await handleSlackInteraction(r.headers, r.body, deps)).statusCode).toBe(200);
    }
  });

  it.each([
    ['payload=null', null],
    ['a payload that is a list', [1]],
    ['actions that are not a list', { type: 'block_actions', user: { id: 'U0ANA' }, actions: 'x' }],
    ['a null action', { type: 'block_actions', user: { id: 'U0ANA' }, actions: [null] }],
    [
      '__proto__ as the action',
      { type: 'block_actions', user: { id: 'U0ANA' }, actions: [{ action_id: '__proto__', value: '{}' }] },
    ],
    [
      'constructor as the action',
      { type: 'block_actions', user: { id: 'U0ANA' }, actions: [{ action_id: 'constructor', value: '{}' }] },
    ],
    [
      'a button value of null',
      { type: 'block_actions', user: { id: 'U0ANA' }, actions: [{ action_id: 'gate-open', value: 'null' }] },
    ],
  ])('answers %s, validly signed, with 400 and changes nothing', async (_, payload) => {
    const { deps, check } = await setup();
    const r = signed(payload);
    const out = await handleSlackInteraction(r.headers, r.body, deps);
    expect(out.statusCode).toBe(400);
    expect(await check()).toBe(403);
    expect((await deps.gates.get({ namespace: 'web', name: 'frontend' }))?.value.audit ?? []).toEqual([]);
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'treats %s as a button’s destination as one not configured (409), with two destinations',
    async (d) => {
      const { deps, check, rollout } = await setup();
      deps.destinations.other = { approvers: [] };
      const r = signed({
        type: 'block_actions',
        user: { id: 'U0ANA' },
        actions: [
          {
            action_id: 'gate-open',
            value: JSON.stringify({ namespace: 'web', name: 'frontend', rollout, d }),
          },
        ],
      });
      expect((await handleSlackInteraction(r.headers, r.body, deps)).statusCode).toBe(409);
      expect(await check()).toBe(403);
    },
  );

  it('judges a button by the approvers of the destination it names, not another’s', async () => {
    const { deps, check, rollout } = await setup(['U0BEN']);
    deps.destinations.open = { approvers: [] };
    const button = (d: string) =>
      signed({
        type: 'block_actions',
        user: { id: 'U0ANA' },
        actions: [
          {
            action_id: 'gate-open',
            value: JSON.stringify({ namespace: 'web', name: 'frontend', rollout, d }),
          },
        ],
      });
    const strict = button('slack-app');
    expect((await handleSlackInteraction(strict.headers, strict.body, deps)).statusCode).toBe(403);
    expect(await check()).toBe(403);
    const open = button('open');
    expect((await handleSlackInteraction(open.headers, open.body, deps)).statusCode).toBe(200);
    expect(await check()).toBe(200);
  });

  it('refuses a button that names no destination once there are two (409), judging it by neither’s approvers', async () => {
    const { deps, click, check } = await setup(['U0BEN']);
    deps.destinations.open = { approvers: [] };
    // click() draws a button as earlier versions did: no destination in it.
    const r = signed(click());
    expect((await handleSlackInteraction(r.headers, r.body, deps)).statusCode).toBe(409);
    expect(await check()).toBe(403);
  });

  it('refuses a click on a rollout that has reached its outcome (409), writing no audit line', async () => {
    const { deps, click, check } = await setup();
    // The same rollout (its start unchanged) goes on to its promotion.
    for (const e of fixtures.filter((x) => x.name === 'frontend').slice(3))
      await storyOf(deps.stories, e, eventIdentity(e));
    const r = signed(click());
    expect(await handleSlackInteraction(r.headers, r.body, deps)).toEqual({
      statusCode: 409,
      body: 'this rollout has ended or another one is running: nothing changed',
    });
    expect(await check()).toBe(403);
    expect((await deps.gates.get({ namespace: 'web', name: 'frontend' }))?.value.audit ?? []).toEqual([]);
  });
});
