// Reject (with a reason, asked in a dialog), a quorum, and who decided with their e-mail, from
// Slack: each through the signed interactions endpoint and the Web API stand-in.
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { eventIdentity } from '../../lib/event/identity';
import { slackApi } from '../../lib/providers/slack-app/api';
import { handleGate } from '../../lib/web/gates';
import { handleSlackInteraction, type SlackDestination } from '../../lib/web/slack-interactions';
import { fixtures } from '../helpers/fixtures';
import { memoryGates, memoryStories } from '../helpers/memory-stores';
import { startSlackApi } from '../helpers/slack-api';
import { storyOf } from '../helpers/stories';

const SECRET = 'slack-signing-secret-0123456789ab';
const NOW = Date.UTC(2026, 11, 2, 12);
const target = { namespace: 'web', name: 'frontend' };
let step = 0;

/** Signed as Slack signs it, a second apart each time (a signature is accepted once). */
function signed(payload: unknown) {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const ts = String(Math.floor(NOW / 1000) + step++);
  const sig = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  return { headers: { 'x-slack-request-timestamp': ts, 'x-slack-signature': sig }, body };
}

let slack: Awaited<ReturnType<typeof startSlackApi>> | undefined;
afterEach(async () => {
  await slack?.close();
  slack = undefined;
});

async function setup(dest: Omit<SlackDestination, 'api'> = { approvers: [] }) {
  slack = await startSlackApi();
  const stories = memoryStories();
  const gates = memoryGates();
  for (const e of fixtures.filter((x) => x.name === 'frontend').slice(0, 3))
    await storyOf(stories, e, eventIdentity(e));
  const rollout = (await stories.get(target))?.value.rollout.startedAt as number;
  const seen = new Set<string>();
  const deps = {
    secret: SECRET,
    destinations: { ops: { ...dest, api: slackApi(slack.url, 'xoxb-t', () => 1000) } },
    firstSeen: async (s: string) => !seen.has(s) && Boolean(seen.add(s)),
    stories,
    gates,
    now: () => NOW + step * 1000,
  };
  const value = JSON.stringify({ ...target, rollout, d: 'ops' });
  const posted = await slack.api.handle('chat.postMessage', { channel: slack.api.channel, text: 'frontend' });
  const ts = (posted.json as { ts: string }).ts;
  const send = async (payload: unknown) => {
    const r = signed(payload);
    return handleSlackInteraction(r.headers, r.body, deps);
  };
  const click = (action_id: string, user = 'U0ANA', trigger_id = `t-${step}`) =>
    send({
      type: 'block_actions',
      trigger_id,
      user: { id: user, username: user.slice(2).toLowerCase() },
      actions: [{ action_id, value }],
      channel: { id: slack?.api.channel },
      message: {
        ts,
        text: 'frontend',
        attachments: [{ blocks: [{ type: 'actions', elements: [{ type: 'button', action_id, value }] }] }],
      },
    });
  const submit = (reason: string, user = 'U0ANA', metadata?: string) =>
    send({
      type: 'view_submission',
      user: { id: user, username: user.slice(2).toLowerCase() },
      view: {
        callback_id: 'gate-reject',
        private_metadata: metadata ?? String(slack?.api.views.at(-1)?.view.private_metadata),
        state: { values: { reason: { reason: { type: 'plain_text_input', value: reason } } } },
      },
    });
  const check = async () =>
    (await handleGate('gate', 'check', target, { by: 'f', how: 'api' }, deps)).statusCode;
  const audit = async () => (await gates.get(target))?.value.audit ?? [];
  const replies = () => slack?.api.messages.find((m) => m.ts === ts)?.replies.map((r) => r.text) ?? [];
  return { click, submit, check, audit, replies, api: slack.api };
}

describe('Reject from Slack: a dialog asks why, its submission closes the gate for this revision', () => {
  it('opens the dialog for an approver; the reason closes the gate, is audited and said in the thread', async () => {
    const { click, submit, check, audit, replies, api } = await setup();
    await click('gate-open');
    expect(await check()).toBe(200);
    expect(await click('gate-reject', 'U0BO', 'trigger-1')).toEqual({ statusCode: 200, body: '' });
    expect(api.views).toHaveLength(1);
    expect(api.views[0]).toMatchObject({ trigger_id: 'trigger-1', view: { callback_id: 'gate-reject' } });
    expect(await check()).toBe(200); // opening the dialog changes nothing
    expect(await submit('p99 <@U0ALL> regressed', 'U0BO')).toEqual({ statusCode: 200, body: '' });
    expect(await check()).toBe(403);
    expect((await audit()).at(-1)).toMatchObject({ rejected: 'p99 <@U0ALL> regressed', by: 'bo (U0BO)' });
    // The reason is text: its mention cannot ping anyone.
    expect(replies().at(-1)).toMatch(/^❌ Rejected by <@U0BO> .*: p99 &lt;@U0ALL&gt; regressed$/);
    // And a click cannot open it again.
    const again = await click('gate-open');
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('rejected by bo (U0BO): p99');
    expect(await check()).toBe(403);
  });

  it('shows a missing reason, a stranger and an ended rollout in the dialog, changing nothing', async () => {
    const { click, submit, check, audit } = await setup({ approvers: ['U0ANA'] });
    expect(await click('gate-reject')).toEqual({ statusCode: 200, body: '' });
    const empty = await submit('   ');
    expect(empty.json).toBe(true);
    expect(JSON.parse(empty.body)).toEqual({
      response_action: 'errors',
      errors: { reason: 'Say why you reject this revision.' },
    });
    const stranger = await submit('no', 'U0EVE');
    expect(JSON.parse(stranger.body).errors.reason).toBe('U0EVE is not an approver');
    expect(await audit()).toEqual([]);
    // A stranger's Reject click opens no dialog.
    expect(await click('gate-reject', 'U0EVE')).toEqual({
      statusCode: 403,
      body: 'U0EVE is not an approver',
    });
    expect(await check()).toBe(403);
  });

  it('refuses a dialog that is not ours or carries no rollout', async () => {
    const { submit, audit } = await setup();
    expect((await submit('why', 'U0ANA', 'not json')).statusCode).toBe(400);
    expect((await submit('why', 'U0ANA', JSON.stringify({ b: { rollout: 1 } }))).body).toBe(
      'payload: the button carries no rollout',
    );
    expect(await audit()).toEqual([]);
  });
});

describe('a quorum from Slack (minApprovals) and who decided', () => {
  it('counts distinct people, keeps the buttons until the quorum is reached, and says each step', async () => {
    const { click, check, replies, api } = await setup({ approvers: [], minApprovals: 2 });
    expect(await click('gate-open', 'U0ANA')).toEqual({
      statusCode: 200,
      body: 'Approval 1 of 2 recorded: 1 more needed',
    });
    expect(await check()).toBe(403);
    // One vote leaves the buttons for the next approver.
    expect(api.calls.filter((c) => c.method === 'chat.update')).toHaveLength(0);
    expect((await click('gate-open', 'U0ANA')).body).toMatch(/already counted/);
    expect(await click('gate-open', 'U0BO')).toEqual({ statusCode: 200, body: 'Gate opened' });
    expect(await check()).toBe(200);
    expect(replies()).toEqual([
      expect.stringMatching(/^👍 Approval 1 of 2 by <@U0ANA> /),
      expect.stringMatching(/^✅ Approved by <@U0BO> /),
    ]);
    // The decision replaced them.
    expect(api.calls.filter((c) => c.method === 'chat.update')).toHaveLength(1);
  });

  it('records the user’s e-mail when the app may read it (users:read.email), and counts that person once', async () => {
    const { click, audit, api } = await setup({ approvers: [], minApprovals: 2 });
    api.users.U0ANA = { email: 'ana@example.com' };
    api.users.U0BO = { email: 'bo@example.com' };
    await click('gate-open', 'U0ANA');
    await click('gate-open', 'U0BO');
    expect((await audit()).map((a) => a.by)).toEqual([
      'ana <ana@example.com> (U0ANA)',
      'bo <bo@example.com> (U0BO)',
    ]);
  });

  it('without the scope names the Slack user only', async () => {
    const { click, audit, api } = await setup();
    api.users.U0ANA = { email: 'ana@example.com' };
    api.emails = false;
    await click('gate-open', 'U0ANA');
    expect((await audit()).map((a) => a.by)).toEqual(['ana (U0ANA)']);
  });
});
